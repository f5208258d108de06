from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.contracts import EVENT_TYPES, EventPublished, MemberJoined
from shared.contracts.base import parse_contract
from shared.contracts.events import EventDraft
from shared.errors import Invalid

DRAFT = {"kind": "migrants_day", "title": {"ja": "国際移住者デー"}, "region": "kanto",
         "starts_at": "2026-12-18T18:30:00", "ends_at": "2026-12-18T20:30:00"}


def test_times_without_offset_are_read_in_the_event_zone():
    draft = EventDraft.model_validate(DRAFT)
    assert draft.starts_at.astimezone(UTC) == datetime(2026, 12, 18, 9, 30, tzinfo=UTC)
    other = EventDraft.model_validate({**DRAFT, "timezone": "Europe/Lisbon"})
    assert other.starts_at.astimezone(UTC).hour == 18


@pytest.mark.parametrize("change, field, words", [
    ({"ends_at": "2026-12-18T18:00:00"}, "ends_at", "ends before it starts"),
    ({"region": "mars"}, "region", "hokkaido"),
    ({"kind": "party"}, "kind", "national_forum"),
    ({"title": {}}, "title", "at least one language"),
    ({"title": {"not a tag!": "x"}}, "title", "language tag"),
    ({"timezone": "Tokyo"}, "timezone", "IANA"),
    ({"surprise": 1}, "surprise", "Extra inputs"),
])
def test_bad_drafts_are_refused_naming_the_field(change, field, words):
    with pytest.raises(Invalid) as caught:
        parse_contract(EventDraft, {**DRAFT, **change})
    assert caught.value.field.startswith(field)
    assert words in caught.value.detail


def test_language_keys_are_normalised_and_empty_texts_dropped():
    draft = EventDraft.model_validate({**DRAFT, "title": {"JA": "デー", "en": "  "}})
    assert draft.title == {"ja": "デー"}


def test_events_carry_the_envelope_and_survive_the_wire():
    event = MemberJoined(member_id="m1", member_kind="group", region="kanto", networks=["medical"])
    wire = event.to_wire()
    assert set(wire) >= {"event_id", "occurred_at", "schema_version"}
    assert isinstance(wire["occurred_at"], str)
    assert MemberJoined.model_validate(wire) == event


def test_contracts_are_frozen():
    event = MemberJoined(member_id="m1", member_kind="group", region="kanto", networks=[])
    with pytest.raises(ValidationError):
        event.member_id = "m2"


def test_every_event_is_registered_under_its_past_tense_name():
    assert EVENT_TYPES["event_published"] is EventPublished
    assert EVENT_TYPES["member_joined"] is MemberJoined
    for name, contract in EVENT_TYPES.items():
        # two states are named as the product names them: awaiting approval, and a renewal coming due
        last = name.split("_")[-1]
        assert last.endswith("ed") or last == "left" or name in ("registration_pending", "membership_renewal_due")
        assert contract.__doc__ and "Published by" in contract.__doc__


def test_no_event_redefines_the_envelope():
    import uuid as uuid_module
    for contract in EVENT_TYPES.values():
        assert contract.model_fields["event_id"].annotation is uuid_module.UUID, contract
        assert contract.model_fields["schema_version"].annotation is int, contract


def test_a_draft_validated_twice_stays_the_same():
    """The gateway validates a draft and sends it on; the service validates it again."""
    for values in (DRAFT, {**DRAFT, "all_day": True, "starts_at": "2027-06-18", "ends_at": "2027-06-19"}):
        once = EventDraft.model_validate(values)
        assert EventDraft.model_validate(once.to_wire()) == once
    whole_days = EventDraft.model_validate({**DRAFT, "all_day": True, "starts_at": "2027-06-18", "ends_at": "2027-06-19"})
    start, end = whole_days.span()
    assert (start.isoformat(), end.isoformat()) == ("2027-06-18T00:00:00+09:00", "2027-06-20T00:00:00+09:00")


@pytest.mark.parametrize("change, field, words", [
    ({"title": {"ja": "一行目\n二行目"}}, "title.ja", "one line"),
    ({"title": {"ja": "題\x00"}}, "title.ja", "one line"),
    ({"title": {"ja": "長" * 201}}, "title.ja", "200"),
    ({"description": {"ja": "鳴\x07"}}, "description.ja", "control"),
    ({"networks": ["labour rights"]}, "networks.0", "slug"),
    ({"networks": [f"n{i}" for i in range(21)]}, "networks", "20"),
    ({"capacity": 2 ** 63}, "capacity", "100000"),
    ({"starts_at": "1899-12-31T23:00:00+09:00"}, "starts_at", "1900-01-01"),
    ({"venue": {"name": "会場\r\n"}}, "venue.name", "one line"),
])
def test_what_organizers_write_is_bounded(change, field, words):
    with pytest.raises(Invalid) as caught:
        parse_contract(EventDraft, {**DRAFT, **change})
    assert caught.value.field == field and words in caught.value.detail


def test_what_is_forgiven_and_what_is_shown_as_stored():
    from shared.contracts.events import EventView
    draft = parse_contract(EventDraft, {**DRAFT, "networks": [" Labour ", "", "labour", "medical"],
                                        "description": {"ja": "一\r\n二\tと三"}})
    assert draft.networks == ["labour", "medical"] and draft.description == {"ja": "一\n二\tと三"}
    stored = {**DRAFT, "id": "e", "status": "published", "revision": 1, "title": {"ja": "昔の\n題"},
              "description": {}, "prefecture": None, "city": None, "networks": ["Old Network"],
              "timezone": "Asia/Tokyo", "venue": {"name": "住所\n二行"}, "created_at": "2020-01-01T00:00:00Z",
              "updated_at": "2020-01-01T00:00:00Z", "published_at": None,
              "sessions": [{"id": "s", "title": {"ja": "分科会\n1"}, "starts_at": "2026-12-18T18:30:00+09:00",
                            "ends_at": "2026-12-18T19:30:00+09:00", "capacity": 10 ** 9}]}
    assert EventView.model_validate(stored).venue.name == "住所\n二行"  # what was stored stays readable


@pytest.mark.parametrize("contract, data, field, words", [
    ("MailingListDraft", {"slug": "kanto", "name": {"ja": "関" * 201}}, "name.ja", "at most 200 characters"),
    ("MailingListDraft", {"slug": "kanto", "name": {"ja": "関東\n一覧"}}, "name.ja", "one line"),
    ("MailingListDraft", {"slug": "kanto", "name": {f"ja-x-n{n}": "x" for n in range(21)}}, "name", "at most 20"),
    ("MailingListDraft", {"slug": "kanto", "name": {"ja": "関東"}, "description": {"en": "d" * 2001}},
     "description.en", "at most 2000 characters"),
    ("MailingListDraft", {"slug": "kanto", "name": {"ja": "関東"}, "network": "n" * 65}, "network", "slug"),
    ("AnnouncementDraft", {"subject": {"en": "News\r\nBcc: x@example.org"}, "body": {"en": "…"}}, "subject.en",
     "one line"),
    ("AnnouncementDraft", {"subject": {"en": "News"}, "body": {"en": "b" * 20_001}}, "body.en", "at most 20000"),
    ("AnnouncementDraft", {"subject": {"en": "News"}, "body": {"en": "a\x00b"}}, "body.en", "control character"),
    ("AnnouncementDraft", {"subject": {"en": "News"}, "body": {"en": "\ud800"}}, "body.en", "unicode string"),
    ("SubscriptionRequest", {"email": "a@example.org", "name": "K" * 121}, "name", "at most 120"),
    ("SubscriptionRequest", {"email": "a@example.org", "name": "Kim\tLee"}, "name", "control character"),
    ("SubscriptionRequest", {"email": "a@example.org", "language": "ab" + "-abcdefgh" * 4}, "language", "language tag"),
    ("ConfirmedSubscriber", {"email": "a@example.org", "name": "Kim\u2028Lee"}, "name", "one line"),
])
def test_every_text_of_the_mailing_list_contracts_has_a_limit(contract, data, field, words):
    from shared.contracts import notifications
    with pytest.raises(Invalid) as caught:
        parse_contract(getattr(notifications, contract), data)
    assert caught.value.field == field and words in caught.value.detail


def test_a_body_keeps_its_lines_and_the_limits_are_in_the_schema():
    from shared.contracts.notifications import AnnouncementDraft
    draft = AnnouncementDraft.model_validate({"subject": {"ja": "会報"}, "body": {"ja": "一行目\n\t二行目"}})
    assert draft.body == {"ja": "一行目\n\t二行目"}
    schema = AnnouncementDraft.model_json_schema()["properties"]
    assert schema["subject"]["additionalProperties"]["maxLength"] == 200 and schema["body"]["maxProperties"] == 20
