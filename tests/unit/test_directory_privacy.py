"""Properties of the public directory: no private field of any member ever appears in a public answer,
and a public query finds exactly what filtering the public entries themselves would find — so a name,
region or network someone did not choose to show cannot be recovered by searching for it."""
from __future__ import annotations

import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import sessionmaker

from services.members import domain, models, operations
from shared.contracts.members import (
    GROUP_PUBLIC_FIELDS,
    INDIVIDUAL_PUBLIC_FIELDS,
    DirectoryEntry,
    DirectoryQuery,
    IndividualDraft,
    MemberGroupDraft,
    MemberView,
)
from shared.db import make_engine
from tests.databases import make_tables

token = st.builds(lambda: uuid.uuid4().hex[:12])
regions = st.sampled_from(["kanto", "chubu-tokai", "kinki-kansai", "online"])
shared_networks = st.lists(st.sampled_from(["livelihood", "migrant-women"]), unique=True, max_size=2)
languages = st.lists(st.sampled_from(["vi", "tl", "pt-BR"]), unique=True, max_size=2)
words = st.sampled_from(["会", "name", "Kanto", "支援", "a"])  # in group names and in individuals' names

groups = st.builds(
    lambda secret, visibility, region, word, nets, langs, kind: {
        "kind": "group", "secret": secret, "draft": MemberGroupDraft(
            name={"ja": f"{word}の会 {secret[:4]}"}, kind=kind, region=region, visibility=visibility,
            networks=nets, help_languages=langs,
            contact_email=f"office-{secret}@private.example", external_id=f"EXT-{secret}")},
    token, st.sampled_from(["public", "members", "hidden"]), regions, words, shared_networks, languages,
    st.sampled_from(["npo", "union"]))

individuals = st.builds(
    lambda secret, opted, fields, region, word, nets: {
        "kind": "individual", "secret": secret, "opted": opted, "fields": fields, "draft": IndividualDraft(
            display_name=f"NAME-{secret} {word}", email=f"person-{secret}@private.example", region=region,
            networks=[f"net-{secret}", *nets], preferred_language="vi", directory_opt_in=opted, public_fields=fields,
            external_id=f"EXT-{secret}")},
    token, st.booleans(), st.lists(st.sampled_from(INDIVIDUAL_PUBLIC_FIELDS), unique=True), regions, words, shared_networks)

queries = st.fixed_dictionaries({}, optional={
    "q": st.one_of(words, st.just("NAME")), "region": regions, "network": st.sampled_from(["livelihood", "migrant-women"]),
    "language": st.sampled_from(["vi", "tl"]), "kind": st.sampled_from(["npo", "union"])})


def leaked(member: dict, public_json: str) -> list[str]:
    """The private values of `member` found in the public answer."""
    secret = member["secret"]
    private = ["@private.example", f"EXT-{secret}"]
    if member["kind"] == "individual":
        chosen = set(member["fields"]) if member["opted"] else set()
        if "display_name" not in chosen:
            private.append(f"NAME-{secret}")
        if "networks" not in chosen:
            private.append(f"net-{secret}")
    return [value for value in private if value in public_json]


def found_by_what_it_shows(entry: DirectoryEntry, query: dict) -> bool:
    """The reference: the query applied to the public entry alone."""
    shown_names = " ".join([*(entry.name or {}).values(), entry.display_name or ""]).lower()
    return (all(word in shown_names for word in query.get("q", "").lower().split())
            and ("region" not in query or entry.region == query["region"])
            and ("network" not in query or query["network"] in (entry.networks or []))
            and ("language" not in query or query["language"] in (entry.help_languages or []))
            and ("kind" not in query or entry.kind == query["kind"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.lists(st.one_of(groups, individuals), min_size=1, max_size=8), query=queries)
def test_the_public_directory_shows_and_finds_only_what_members_chose(members, query, tmp_path_factory):
    directory = tmp_path_factory.mktemp("privacy")
    engine = make_engine(f"sqlite:///{directory}/members.db")
    make_tables(engine, models)
    db = sessionmaker(engine, expire_on_commit=False)
    try:
        with db.begin() as session:
            for member in members:
                create = operations.create_group if member["kind"] == "group" else operations.create_individual
                create(session, member["draft"])
        with db() as session:
            answers = [operations.directory(session, DirectoryQuery(**query)),
                       operations.directory(session, DirectoryQuery())]
        # Entries are written straight from the rows: each must be exactly what its contract sends.
        public, everything = ([DirectoryEntry.model_validate(entry) for entry in answer] for answer in answers)
        assert [[entry.to_wire() for entry in answer] for answer in (public, everything)] == answers
        for answer in answers:
            public_json = json.dumps(answer, ensure_ascii=False)
            for member in members:
                assert leaked(member, public_json) == [], (member, public_json)
        listed = {entry.id for entry in everything}
        assert len(listed) == sum(1 for m in members if (m["kind"] == "group" and m["draft"].visibility == "public")
                                  or (m["kind"] == "individual" and m["opted"]))
        expected = {entry.id for entry in everything if found_by_what_it_shows(entry, query)}
        assert {entry.id for entry in public} == expected, (query, [e.to_wire() for e in everything])
    finally:
        engine.dispose()


def test_the_public_entry_has_exactly_the_public_fields_and_the_member_has_each_of_them():
    public = {*GROUP_PUBLIC_FIELDS, *INDIVIDUAL_PUBLIC_FIELDS}
    assert set(DirectoryEntry.model_fields) == {"id", "member_kind", "members_only", *public}
    assert public <= set(MemberView.model_fields)
    assert public <= set(domain.PUBLIC_ENTRY_FIELDS) <= set(models.MemberRow.__table__.columns.keys())  # read from
