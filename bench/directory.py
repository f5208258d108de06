"""Directory search over 100,000 generated members: the members service's use case (query, rows,
public entries) against the bare indexed SQL a person who knows the data writes for the same query,
on the same SQLite file and indexes, its rows decoded into plain dicts (JSON columns parsed). Goals:
≤ 1.25× for the worst query; a Japanese partial match (part of a name, a place, a common word) ≤ 5 ms.
Printed beside them: the SQL alone."""
from __future__ import annotations

import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import insert
from sqlalchemy.orm import sessionmaker

from bench.summary import Goal
from services.members import domain, models, operations
from shared.contracts.members import DirectoryQuery
from shared.db import make_engine, refresh_planner_statistics
from shared.migrations import upgrade

MEMBERS = 100_000
GOALS = {"worst": Goal(at_most=1.25), "japanese_ms": Goal(at_most=5.0)}
ROUNDS = 3
REPEAT = 15
REGIONS = ["hokkaido", "tohoku", "kanto", "chubu-tokai", "kinki-kansai", "chugoku", "shikoku", "kyushu-okinawa"]
LANGUAGES = ["ja", "en", "vi", "pt-BR", "tl", "zh-Hans", "ko", "ne", "my", "id", "es", "th"]
NETWORKS = ["migrant-women", "technical-interns", "medical-livelihood", "anti-discrimination", "labour", "legal"]
# Names as a national network's directory holds them: a place, a theme and a form (豊橋外国人支援ネットワーク),
# some with a word of their own in katakana (カラバオの会); individuals by their own names.
KANJI = "川山田中島本大小北南東西上下新高松岡野原宮沢井浜崎長石橋木森林池谷口内前神福吉富豊春桜花水"
THEMES = ["移住者", "外国人", "難民", "技能実習生", "女性", "子ども", "医療", "労働", "多文化", "日本語", "在日",
          "国際"]
FORMS = ["の会", "ネットワーク", "ユニオン", "支援センター", "協会", "教会", "シェルター", "を支える会", "連絡会",
         "共生会議"]
KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
COLUMNS = ("id, member_kind, visibility, directory_opt_in, public_fields, name, kind, region, prefecture, city, "
           "website, help_languages, networks, public_contact, display_name, preferred_language")
JSON_COLUMNS = {"public_fields", "name", "help_languages", "networks"}
SELECT = f"SELECT {COLUMNS} FROM members WHERE erased_at IS NULL AND directory_listed = 1 AND "
IN_GRAMS = "id IN (SELECT member_id FROM member_search_grams WHERE gram = ? AND public = 1)"
IN_ORDER = " ORDER BY public_sort_key, id LIMIT 100"


def _vocabulary(rng: random.Random) -> SimpleNamespace:
    pairs = sorted({a + b for a in KANJI for b in KANJI if a != b})
    return SimpleNamespace(places=rng.sample(pairs, 1500), surnames=rng.sample(pairs, 300),
                           words=sorted({"".join(rng.choices(KANA, k=rng.randint(3, 5))) for _ in range(3000)}))


def _queries(words: SimpleNamespace, bare: sqlite3.Connection) -> dict:
    """Each directory query and the bare SQL a person who knows the data writes for it, on the same
    indexes: a rare bigram leads, a common word is looked for reading names in order."""
    word, place = domain.folded(words.words[7]), words.places[11]

    def rarest(text: str) -> str:
        return min(domain.search_grams(text), key=lambda gram: bare.execute(
            "SELECT count(*) FROM member_search_grams WHERE gram = ? AND public = 1", (gram,)).fetchone()[0])
    return {
        "groups that help in Vietnamese in Tokai": (
            DirectoryQuery(language="vi", region="chubu-tokai"),
            SELECT + "public_region = ? AND EXISTS (SELECT 1 FROM member_languages WHERE member_id = members.id "
            "AND public = 1 AND language = ?)" + IN_ORDER, ("chubu-tokai", "vi")),
        "a network's groups in Kanto": (
            DirectoryQuery(network="migrant-women", region="kanto"),
            SELECT + "public_region = ? AND EXISTS (SELECT 1 FROM member_networks WHERE member_id = members.id "
            "AND public = 1 AND network = ?)" + IN_ORDER, ("kanto", "migrant-women")),
        f"part of a Japanese name ({words.words[7]})": (
            DirectoryQuery(q=words.words[7]),
            SELECT + IN_GRAMS + " AND public_search_text LIKE ?" + IN_ORDER, (rarest(word), f"%{word}%")),
        f"a place in names ({place})": (
            DirectoryQuery(q=place),
            SELECT + IN_GRAMS + " AND public_search_text LIKE ?" + IN_ORDER, (rarest(place), f"%{place}%")),
        "a common word in names, in a region (支援)": (
            DirectoryQuery(q="支援", region="kinki-kansai"),
            SELECT + "public_region = ? AND public_search_text LIKE ?" + IN_ORDER, ("kinki-kansai", "%支援%")),
    }
JAPANESE_PARTIAL = ("part of a Japanese name", "a place in names", "a common word in names")


def _generate(rng: random.Random, words: SimpleNamespace):
    now = datetime.now(UTC)
    members, networks, languages, grams = [], [], [], []
    for n in range(MEMBERS):
        member_id = str(uuid.uuid4())
        is_group = n % 4 != 0
        own = rng.choice(words.words) if rng.random() < 0.3 else ""
        name = {"ja": rng.choice(words.places) + own + rng.choice(THEMES) + rng.choice(FORMS)} if is_group else {}
        display = None if is_group else f"{rng.choice(words.surnames)} {rng.choice(words.words)}"
        chosen_languages = rng.sample(LANGUAGES, 3) if is_group else []
        chosen_networks = rng.sample(NETWORKS, 2)
        visibility = rng.choice(["public", "public", "hidden"]) if is_group else None
        opted = (not is_group) and n % 3 == 0
        members.append({
            "id": member_id, "member_kind": "group" if is_group else "individual", "name": name,
            "kind": "npo" if is_group else None, "display_name": display,
            "email": None if is_group else f"m{n}@example.org", "preferred_language": "ja",
            "region": rng.choice(REGIONS), "prefecture": None, "city": None, "website": None,
            "help_languages": chosen_languages, "networks": chosen_networks, "public_contact": None,
            "contact_email": None, "visibility": visibility, "directory_opt_in": opted,
            "public_fields": ["display_name"] if opted else [], "directory_listed": domain.directory_listed(
                "group" if is_group else "individual", visibility, opted), "current_member": True,
            "erased_at": None, "external_id": f"B-{n}", "search_text": domain.search_text(name, display),
            "created_at": now, "updated_at": now})
        listed = members[-1]["directory_listed"]
        public = domain.public_filters(domain.public_entry(members[-1]) if listed else None)
        members[-1].update(public_search_text=public.search_text, public_region=public.region,
                           public_sort_key=domain.sort_key(public.search_text))
        networks += [{"member_id": member_id, "network": net, "public": net in public.networks}
                     for net in chosen_networks]
        languages += [{"member_id": member_id, "language": lang, "public": lang in public.languages}
                      for lang in chosen_languages]
        grams += [{"member_id": member_id, "gram": gram, "public": shown} for gram, shown
                  in domain.indexed_grams(members[-1]["search_text"], public.search_text).items()]
    return members, networks, languages, grams


def _median_seconds(run) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _bare_entries(bare: sqlite3.Connection, sql: str, params: tuple) -> list[dict]:
    """The baseline: the SQL, and its rows as the plain dicts an answer needs (JSON columns decoded)."""
    cursor = bare.execute(sql, params)
    columns = [column[0] for column in cursor.description]
    return [{column: json.loads(value) if column in JSON_COLUMNS and value is not None else value
             for column, value in zip(columns, row, strict=True)} for row in cursor.fetchall()]


def _load(path: str) -> SimpleNamespace:
    rng = random.Random(2011)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, "members")
    words = _vocabulary(rng)
    members, networks, languages, grams = _generate(rng, words)
    with engine.begin() as connection:
        connection.execute(insert(models.MemberRow), members)
        connection.execute(insert(models.MemberNetwork), networks)
        connection.execute(insert(models.MemberLanguage), languages)
        connection.execute(insert(models.MemberSearchGram), grams)
    db = sessionmaker(engine, expire_on_commit=False)
    with db.begin() as session:
        refresh_planner_statistics(session)  # as the service's hourly housekeeping does
    return SimpleNamespace(engine=engine, db=db, words=words)


def run() -> dict:
    """Rounds of every query, ours and the baseline each REPEAT times: the worst query's ratio and the
    slowest Japanese partial match, per round."""
    with tempfile.TemporaryDirectory(prefix="tsunagu-directory-bench-") as directory:
        path = f"{directory}/members.db"
        loaded = _load(path)
        bare = sqlite3.connect(path)
        queries = _queries(loaded.words, bare)
        print(f"\n== Directory search over {MEMBERS:,} members ({ROUNDS} rounds, median of {REPEAT} each) ==")
        worst, japanese = [], []
        for number in range(1, ROUNDS + 1):
            ratios, partial = {}, []
            for label, (query, sql, params) in queries.items():
                def ours(query=query):
                    with loaded.db() as session:
                        return operations.directory(session, query)
                found = len(ours())
                assert found == len(_bare_entries(bare, sql, params)), label
                ours_s = _median_seconds(ours)
                bare_s = _median_seconds(lambda sql=sql, params=params: _bare_entries(bare, sql, params))
                sql_s = _median_seconds(lambda sql=sql, params=params: bare.execute(sql, params).fetchall())
                ratios[label] = ours_s / bare_s
                if label.startswith(JAPANESE_PARTIAL):
                    partial.append(ours_s * 1000)
                print(f"round {number}: {label:<46} SQL {sql_s * 1000:6.2f} ms  SQL + rows {bare_s * 1000:6.2f} ms  "
                      f"directory {ours_s * 1000:6.2f} ms  ({found} entries)  ratio {ours_s / bare_s:.2f}×")
            worst.append(max(ratios.values()))
            japanese.append(max(partial))
        bare.close()
        loaded.engine.dispose()
    print(f"worst query, directory / (SQL + rows), per round: {_listed(worst)} (goal {GOALS['worst']})")
    print(f"slowest Japanese partial match, ms, per round: {_listed(japanese)} (goal {GOALS['japanese_ms']})")
    return {"worst": worst, "japanese_ms": japanese}


def _listed(values: list[float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


if __name__ == "__main__":
    run()
