"""Directory search over 100,000 generated members: the members service's use case (query, rows,
public entries) against the bare indexed SQL query for the same filter, on the same SQLite file.
Goal: ≤ 2×."""
from __future__ import annotations

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
from shared.db import make_engine
from shared.migrations import upgrade

MEMBERS = 100_000
GOAL = Goal(at_most=2.0)  # the worst query, directory / bare SQL
REPEAT = 30
REGIONS = ["hokkaido", "tohoku", "kanto", "chubu-tokai", "kinki-kansai", "chugoku", "shikoku", "kyushu-okinawa"]
LANGUAGES = ["ja", "en", "vi", "pt-BR", "tl", "zh-Hans", "ko", "ne", "my", "id", "es", "th"]
NETWORKS = ["migrant-women", "technical-interns", "medical-livelihood", "anti-discrimination", "labour", "legal"]
WORDS = ["移住者", "支援", "ネット", "連帯", "の会", "ユニオン", "教会", "シェルター", "Support", "Network", "Union"]

QUERIES = {
    "groups that help in Vietnamese in Tokai": (
        DirectoryQuery(language="vi", region="chubu-tokai"),
        "SELECT id, member_kind, name, kind, region, prefecture, city, website, help_languages, networks, "
        "public_contact FROM members WHERE erased_at IS NULL AND directory_listed = 1 AND public_region = ? AND id IN "
        "(SELECT member_id FROM member_languages WHERE public = 1 AND language = ?) "
        "ORDER BY public_search_text, id LIMIT 100",
        ("chubu-tokai", "vi")),
    "a network's groups in Kanto": (
        DirectoryQuery(network="migrant-women", region="kanto"),
        "SELECT id, member_kind, name, kind, region, prefecture, city, website, help_languages, networks, "
        "public_contact FROM members WHERE erased_at IS NULL AND directory_listed = 1 AND public_region = ? AND id IN "
        "(SELECT member_id FROM member_networks WHERE public = 1 AND network = ?) "
        "ORDER BY public_search_text, id LIMIT 100",
        ("kanto", "migrant-women")),
    "part of a Japanese name": (
        DirectoryQuery(q="シェルター", region="kinki-kansai"),
        "SELECT id, member_kind, name, kind, region, prefecture, city, website, help_languages, networks, "
        "public_contact FROM members WHERE erased_at IS NULL AND directory_listed = 1 AND public_region = ? AND "
        "public_search_text LIKE ? ESCAPE '/' ORDER BY public_search_text, id LIMIT 100",
        ("kinki-kansai", f"%{domain.folded('シェルター')}%")),
}


def _generate(rng: random.Random):
    now = datetime.now(UTC)
    members, networks, languages = [], [], []
    for n in range(MEMBERS):
        member_id = str(uuid.uuid4())
        is_group = n % 4 != 0
        name = {"ja": "".join(rng.sample(WORDS, 3)) + f"{n}"} if is_group else {}
        display = None if is_group else f"会員{n}"
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
        public = domain.public_filters(domain.public_entry(SimpleNamespace(**members[-1])) if listed else None)
        members[-1].update(public_search_text=public.search_text, public_region=public.region)
        networks += [{"member_id": member_id, "network": net, "public": net in public.networks}
                     for net in chosen_networks]
        languages += [{"member_id": member_id, "language": lang, "public": lang in public.languages}
                      for lang in chosen_languages]
    return members, networks, languages


def _median_seconds(run) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run() -> dict:
    rng = random.Random(2011)
    results = {}
    with tempfile.TemporaryDirectory(prefix="tsunagu-directory-bench-") as directory:
        path = f"{directory}/members.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine, "members")
        members, networks, languages = _generate(rng)
        with engine.begin() as connection:
            connection.execute(insert(models.MemberRow), members)
            connection.execute(insert(models.MemberNetwork), networks)
            connection.execute(insert(models.MemberLanguage), languages)
        db = sessionmaker(engine, expire_on_commit=False)
        bare = sqlite3.connect(path)
        print(f"\n== Directory search over {MEMBERS:,} members (median of {REPEAT}) ==")
        for label, (query, sql, params) in QUERIES.items():
            def ours(query=query):
                with db() as session:
                    return [entry.to_wire() for entry in operations.directory(session, query, organizer=False)]
            found = len(ours())
            assert found == len(bare.execute(sql, params).fetchall()), label
            ours_s = _median_seconds(ours)
            bare_s = _median_seconds(lambda sql=sql, params=params: bare.execute(sql, params).fetchall())
            results[label] = ours_s / bare_s
            print(f"{label:<42} bare SQL {bare_s * 1000:7.2f} ms   directory {ours_s * 1000:7.2f} ms   "
                  f"({found} entries)   ratio {ours_s / bare_s:.2f}×")
        bare.close()
        engine.dispose()
    worst = max(results.values())
    print(f"worst ratio directory / bare SQL: {worst:.2f}× (goal {GOAL})")
    return {"ratios": results, "worst": worst}


if __name__ == "__main__":
    run()
