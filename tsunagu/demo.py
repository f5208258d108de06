"""Demo data: what a new installation shows, loaded once through the services' own RPC."""
from __future__ import annotations

from typing import Any

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
    {"kind": "national_forum", "series": "national-forum", "edition": 8,
     "title": {"ja": "第8回 移住者と連帯する全国フォーラム・東海2011", "en": "8th National Forum, Tokai 2011"},
     "description": {"ja": "全体会と分科会。会場：中京大学", "en": "Plenary and sub-sessions at Chukyo University."},
     "region": "chubu-tokai", "prefecture": "愛知県", "city": "名古屋市",
     "venue": {"name": "中京大学 名古屋キャンパス", "address": "名古屋市昭和区八事本町101-2",
               "latitude": 35.1330, "longitude": 136.9620},
     "starts_at": "2011-06-18T13:00:00", "ends_at": "2011-06-19T16:00:00",
     "networks": ["technical-interns", "migrant-women"],
     "sessions": [
         {"kind": "plenary", "title": {"ja": "全体会", "en": "Plenary"}, "room": "大講義室",
          "starts_at": "2011-06-18T13:00:00", "ends_at": "2011-06-18T17:00:00", "languages": ["ja"],
          "interpretation": [{"source": "ja", "target": "en"}, {"source": "ja", "target": "pt-BR"}]},
         {"title": {"ja": "第1分科会 移住女性", "en": "Sub-session 1: Migrant women"}, "room": "A201",
          "capacity": 60, "starts_at": "2011-06-19T09:30:00", "ends_at": "2011-06-19T12:30:00"},
         {"title": {"ja": "第2分科会 技能実習生", "en": "Sub-session 2: Technical intern trainees"},
          "room": "A202", "capacity": 60, "starts_at": "2011-06-19T09:30:00", "ends_at": "2011-06-19T12:30:00"},
     ]},
    {"kind": "workshop", "series": "workshop", "capacity": 120, "group_quota": 10,
     "title": {"ja": "移住者ワークショップ 関西 2027", "en": "Migrants Workshop Kansai 2027"},
     "region": "kinki-kansai", "prefecture": "大阪府", "city": "大阪市", "venue": {"name": "大阪市立社会福祉センター"},
     "starts_at": "2027-06-12T10:00:00", "ends_at": "2027-06-12T17:00:00", "networks": ["migrant-women"]},
]

MEMBERSHIP = {"type": "member", "units": 1, "starts_on": "2026-04-01", "ends_on": "2027-03-31",
              "fiscal_year": 2026, "dues_status": "paid", "renewal_due_on": "2027-04-01"}

INDIVIDUALS: list[dict[str, Any]] = [
    {"display_name": "山田 太郎", "email": "yamada@example.org", "region": "kanto", "networks": ["medical-livelihood"]},
    {"display_name": "Ana Lima", "email": "ana@example.org", "preferred_language": "pt-BR", "region": "chubu-tokai",
     "directory_opt_in": True, "public_fields": ["display_name", "region"]},
]

MIGRANTS_DAY = {
    "year": 2026,
    "title": {"ja": "国際移住者デー", "en": "International Migrants Day", "ja-x-easy": "こくさい いじゅうしゃ デー"},
    "description": {"ja": "移住者の権利を求めて、全国各地で同時に行動します。",
                    "en": "Actions for migrants' rights in many cities on the same day."},
    "local_events": [
        {"region": "kanto", "prefecture": "東京都", "city": "東京", "venue": {"name": "日比谷図書文化館"},
         "starts_at": "2026-12-18T18:30:00", "ends_at": "2026-12-18T20:30:00", "capacity": 200},
        {"region": "chubu-tokai", "prefecture": "愛知県", "city": "名古屋", "venue": {"name": "栄 久屋大通公園"},
         "starts_at": "2026-12-18T12:00:00", "ends_at": "2026-12-18T14:00:00"},
    ],
}


def demo_accounts(group_id: str, member_id: str) -> list[dict]:
    """One account per role, to sign in as: the secretariat, a Kansai organizer, a member group's contact
    and an individual member."""
    return [
        {"email": "secretariat@example.org", "grants": [{"role": "secretariat"}]},
        {"email": "kansai.organizer@example.org", "grants": [{"role": "organizer", "regions": ["kinki-kansai"]}]},
        {"email": "group.contact@example.org", "grants": [{"role": "group_contact", "groups": [group_id]}]},
        {"email": INDIVIDUALS[0]["email"], "grants": [{"role": "member", "member_id": member_id}]},
    ]


def load(pool: RpcPool) -> dict:
    """Create the demo lists, subscribers, groups and events; publish the events (which announces them)."""
    with pool.services() as rpc:
        for mailing_list in LISTS:
            rpc.notifications.create_list(mailing_list)
        rpc.notifications.add_confirmed_subscribers(GENERAL_LIST, SUBSCRIBERS)
        groups = []
        for group in GROUPS:
            member = rpc.members.create_group(group)
            rpc.members.add_membership(member["id"], MEMBERSHIP)
            groups.append(member["id"])
        individuals = []
        for person in INDIVIDUALS:
            member = rpc.members.create_individual(person)
            rpc.members.add_membership(member["id"], MEMBERSHIP)
            individuals.append(member["id"])
        accounts = [rpc.members.add_account(account)["email"]
                    for account in demo_accounts(groups[0], individuals[0])]
        drafts = [rpc.events.create_event(draft) for draft in EVENTS]
        drafts += rpc.events.create_migrants_day(MIGRANTS_DAY)
        events = [rpc.events.publish_event(draft["id"])["id"] for draft in drafts]
    return {"groups": groups, "events": events, "accounts": accounts}
