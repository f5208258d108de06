"""Property: no private field of any member ever appears in a public directory response."""
from __future__ import annotations

import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import sessionmaker

from services.members import models, operations
from shared.contracts.members import DirectoryQuery, IndividualDraft, MemberGroupDraft
from shared.db import create_tables, make_engine

token = st.builds(lambda: uuid.uuid4().hex[:12])
regions = st.sampled_from(["kanto", "chubu-tokai", "kinki-kansai", "online"])

groups = st.builds(
    lambda secret, visibility, region: {
        "kind": "group", "secret": secret, "draft": MemberGroupDraft(
            name={"ja": f"会 {secret[:4]}"}, kind="npo", region=region, visibility=visibility,
            contact_email=f"office-{secret}@private.example", external_id=f"EXT-{secret}")},
    token, st.sampled_from(["public", "members", "hidden"]), regions)

individuals = st.builds(
    lambda secret, opted, fields, region: {
        "kind": "individual", "secret": secret, "opted": opted, "fields": fields, "draft": IndividualDraft(
            display_name=f"NAME-{secret}", email=f"person-{secret}@private.example", region=region,
            networks=[f"net-{secret}"], preferred_language="vi", directory_opt_in=opted, public_fields=fields,
            external_id=f"EXT-{secret}")},
    token, st.booleans(), st.lists(st.sampled_from(["display_name", "region", "networks", "preferred_language"]),
                                   unique=True), regions)


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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.lists(st.one_of(groups, individuals), min_size=1, max_size=8),
       query=st.fixed_dictionaries({}, optional={"q": st.sampled_from(["会", "name", "a"]), "region": regions}))
def test_no_private_field_ever_appears_in_the_public_directory(members, query, tmp_path_factory):
    directory = tmp_path_factory.mktemp("privacy")
    engine = make_engine(f"sqlite:///{directory}/members.db")
    create_tables(engine, models.metadata)
    db = sessionmaker(engine, expire_on_commit=False)
    try:
        with db.begin() as session:
            for member in members:
                create = operations.create_group if member["kind"] == "group" else operations.create_individual
                create(session, member["draft"])
        with db() as session:
            public = operations.directory(session, DirectoryQuery(**query), organizer=False)
            everything = operations.directory(session, DirectoryQuery(), organizer=False)
        for answer in (public, everything):
            public_json = json.dumps([entry.to_wire() for entry in answer], ensure_ascii=False)
            for member in members:
                assert leaked(member, public_json) == [], (member, public_json)
        listed = {entry.id for entry in everything}
        assert len(listed) == sum(1 for m in members if (m["kind"] == "group" and m["draft"].visibility == "public")
                                  or (m["kind"] == "individual" and m["opted"]))
    finally:
        engine.dispose()
