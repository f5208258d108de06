"""Demo data: what a new installation shows, loaded once through the services' own RPC."""
from __future__ import annotations

from shared.contracts.notifications import GENERAL_LIST
from shared.rpc import RpcPool

LISTS = [
    {"slug": GENERAL_LIST, "name": {"ja": "つなぐ 全体メーリングリスト", "en": "Tsunagu general list"},
     "description": {"ja": "ネットワーク全体のお知らせと議論", "en": "News and discussion for the whole network"}},
    {"slug": "magazine", "name": {"ja": "会報誌 購読者", "en": "Magazine subscribers"}},
]

SUBSCRIBERS = [
    {"email": "tanaka@example.org", "language": "ja", "name": "田中 花子"},
    {"email": "nguyen@example.org", "language": "vi", "name": "Nguyen Van An"},
    {"email": "santos@example.org", "language": "pt-BR", "name": "Maria Santos"},
    {"email": "easy@example.org", "language": "ja-x-easy", "name": "リン"},
    {"email": "smith@example.org", "language": "en", "name": None},
]

GROUPS = [
    {"name": {"ja": "移住者と連帯する全国ネットワーク 東海", "en": "Solidarity Network Tokai"},
     "kind": "npo", "region": "chubu-tokai", "prefecture": "愛知県", "city": "名古屋市",
     "help_languages": ["ja", "pt-BR", "es", "tl"], "networks": ["technical-interns"]},
    {"name": {"ja": "カラバオの会", "en": "Kalabaw-no-kai"}, "kind": "community_association",
     "region": "kanto", "prefecture": "神奈川県", "city": "横浜市", "help_languages": ["ja", "tl", "en"],
     "networks": ["livelihood"]},
    {"name": {"ja": "移住女性ネットワーク関西", "en": "Migrant Women Network Kansai"}, "kind": "shelter",
     "region": "kinki-kansai", "prefecture": "大阪府", "city": "大阪市",
     "help_languages": ["ja", "en", "th", "zh-Hans"], "networks": ["migrant-women"]},
    {"name": {"ja": "外国人医療支援の会", "en": "Medical Support for Migrants"}, "kind": "npo",
     "region": "kanto", "prefecture": "東京都", "city": "新宿区", "help_languages": ["ja", "vi", "ne", "my"],
     "networks": ["medical-livelihood"]},
]

EVENTS = [
    {"kind": "national_forum",
     "title": {"ja": "第8回 移住者と連帯する全国フォーラム・東海2011", "en": "8th National Forum, Tokai 2011"},
     "description": {"ja": "全体会と分科会。会場：中京大学", "en": "Plenary and sub-sessions at Chukyo University."},
     "region": "chubu-tokai", "prefecture": "愛知県", "city": "名古屋市", "venue": "中京大学 名古屋キャンパス",
     "starts_at": "2011-06-18T13:00:00", "ends_at": "2011-06-19T16:00:00",
     "networks": ["technical-interns", "migrant-women"]},
    {"kind": "workshop", "title": {"ja": "移住者ワークショップ 関西 2027", "en": "Migrants Workshop Kansai 2027"},
     "region": "kinki-kansai", "prefecture": "大阪府", "city": "大阪市", "venue": "大阪市立社会福祉センター",
     "starts_at": "2027-06-12T10:00:00", "ends_at": "2027-06-12T17:00:00", "networks": ["migrant-women"]},
    {"kind": "migrants_day",
     "title": {"ja": "国際移住者デー 東京集会", "en": "International Migrants Day, Tokyo",
               "ja-x-easy": "こくさい いじゅうしゃ デー とうきょう"},
     "region": "kanto", "prefecture": "東京都", "city": "千代田区", "venue": "日比谷図書文化館",
     "starts_at": "2026-12-18T18:30:00", "ends_at": "2026-12-18T20:30:00", "networks": []},
    {"kind": "migrants_day", "title": {"ja": "国際移住者デー 名古屋アクション", "en": "International Migrants Day, Nagoya"},
     "region": "chubu-tokai", "prefecture": "愛知県", "city": "名古屋市", "venue": "栄 久屋大通公園",
     "starts_at": "2026-12-18T12:00:00", "ends_at": "2026-12-18T14:00:00", "networks": []},
]


def load(pool: RpcPool) -> dict:
    """Create the demo lists, subscribers, groups and events; publish the events (which announces them)."""
    with pool.services() as rpc:
        for mailing_list in LISTS:
            rpc.notifications.create_list(mailing_list)
        rpc.notifications.add_confirmed_subscribers(GENERAL_LIST, SUBSCRIBERS)
        groups = [rpc.members.create_group(group)["id"] for group in GROUPS]
        events = []
        for draft in EVENTS:
            event = rpc.events.create_event(draft)
            events.append(rpc.events.publish_event(event["id"])["id"])
    return {"groups": groups, "events": events}
