"""Erasing a person on the real system: a member who is on a list, registered for an event (a reminder
owed), due a renewal reminder, named in a group's delegation, with mail to them waiting in the ledger.
After the erasure no database file (with its WAL) and no log of any part holds their address or name,
in any of the forms stored text takes, and no mail reaches them."""
from __future__ import annotations

import json
import sqlite3
import time
import urllib.parse
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.rpc import RpcPool
from tests.integration.conftest import Gateway, MailBox, seed_general_list, stack_settings
from tests.integration.patience import PATIENCE
from tsunagu.stack import Stack

TOKYO = ZoneInfo("Asia/Tokyo")
HANAKO = {"display_name": "消去 花子", "email": "hanako.shoukyo@example.org", "preferred_language": "ja"}
ADA = {"display_name": "Ada Erasmus-Lovelace", "email": "Ada.Erasmus@Example.org", "preferred_language": "en"}
KEPT = {"display_name": "Kept Person", "email": "kept.person@example.org", "preferred_language": "en"}
ERASED = (HANAKO, ADA)


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    """A system of its own: the test reads every file under its directory."""
    settings = stack_settings(tmp_path_factory.mktemp("erasure-stack"))
    with Stack(settings) as running:
        seed_general_list(settings)
        yield running


def stored_forms(text: str) -> set[bytes]:
    """How a name or address can sit in a file: as UTF-8, as JSON escapes (\\u6d88, either case), as a
    percent-encoded URL; with its spaces, without them, or with full-width ones."""
    forms = set()
    for variant in {text, "".join(text.split()), "\u3000".join(text.split())}:
        escaped = json.dumps(variant)[1:-1]
        forms |= {variant.lower().encode(), escaped.lower().encode(), urllib.parse.quote(variant).lower().encode()}
    return forms


def files_to_search(var: Path) -> list[Path]:
    """Every database file with its WAL and shared memory, and every log, of every part."""
    patterns = ("*.db", "*.db-wal", "*.db-shm", "*.log", "*.log.*")
    return sorted({path for pattern in patterns for path in var.rglob(pattern) if path.is_file()})


def traces(var: Path, people) -> dict[str, list[str]]:
    """{file: [what of the people it holds]}, empty when nothing is found."""
    found: dict[str, list[str]] = {}
    for path in files_to_search(var):
        content = path.read_bytes().lower()
        hits = [f"{person['email']}|{person['display_name']}" for person in people
                if any(form in content for text in (person["email"], person["display_name"])
                       for form in stored_forms(text))]
        if hits:
            found[str(path.relative_to(var))] = hits
    return found


def rpc_call(settings, service: str, method: str, *args):
    pool = RpcPool.for_operator(settings, 1, timeout=30)
    try:
        with pool.services() as rpc:
            return getattr(getattr(rpc, service), method)(*args)
    finally:
        pool.close()


def wait_until(condition, what: str, timeout: float = PATIENCE):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f}s for {what}"
        time.sleep(0.5)


def mail_to(mailbox: MailBox, address: str) -> list:
    return [m for m in mailbox.messages() if m["X-Sink-Envelope-To"].lower() == address.lower()]


def deliveries_retrying(settings, addresses) -> int:
    """Ledger rows to these addresses that failed once and wait for their retry (read-only look)."""
    with sqlite3.connect(f"file:{settings.var_dir / 'notifications.db'}?mode=ro", uri=True) as connection:
        marks = ",".join("?" * len(addresses))
        count = connection.execute(f"SELECT count(*) FROM deliveries WHERE lower(email) IN ({marks}) "
                                   "AND status = 'pending' AND attempts >= 1", [a.lower() for a in addresses])
        result = count.fetchone()[0]
    connection.close()
    return result


def test_an_erased_person_leaves_no_trace_and_gets_no_mail(own_stack):
    settings = own_stack.settings
    gateway, mailbox = Gateway(settings), MailBox(settings.mail_dir)
    http = gateway.http
    today = date.today()

    # Members, each with a membership whose renewal comes due; the group whose delegation names Hanako.
    members = {}
    for person in (*ERASED, KEPT):
        member = http.post("/members/individuals", json=person)
        assert member.status_code == 201, member.text
        members[person["email"]] = member.json()["id"]
        due = today + timedelta(days=60 if person is ADA else 20)  # Ada's comes due only after the erasure
        added = http.post(f"/members/{members[person['email']]}/memberships", json={
            "starts_on": str(today - timedelta(days=300)), "ends_on": str(due), "renewal_due_on": str(due)})
        assert added.status_code == 201, added.text
    magazine = http.post(f"/members/{members[KEPT['email']]}/memberships", json={
        "type": "subscriber", "starts_on": str(today - timedelta(days=300)), "ends_on": str(today + timedelta(days=60)),
        "renewal_due_on": str(today + timedelta(days=60))})
    assert magazine.status_code == 201, magazine.text
    group = http.post("/members/groups", json={"name": {"ja": "支援の会"}, "kind": "npo", "region": "kanto"}).json()
    http.post(f"/members/{group['id']}/memberships", json={
        "starts_on": str(today - timedelta(days=10)), "ends_on": str(today + timedelta(days=300))})
    rpc_call(settings, "notifications", "add_confirmed_subscribers", "general", [
        {"email": p["email"], "language": p["preferred_language"], "name": p["display_name"]} for p in (*ERASED, KEPT)])

    # An event a month ahead (a reminder owed three days before), each person registered for it.
    starts = datetime.combine(today + timedelta(days=30), datetime.min.time(), TOKYO).replace(hour=10)
    event = gateway.new_event(starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=4)).isoformat())
    assert gateway.publish(event["id"]).status_code == 200
    registrations = {}
    for person in (*ERASED, KEPT):
        made = http.post(f"/events/{event['id']}/registrations", json={
            "display_name": person["display_name"], "email": person["email"], "language": person["preferred_language"]})
        assert made.status_code == 201, made.text
        registrations[person["email"]] = made.json()
    hanako = registrations[HANAKO["email"]]
    for person in (*ERASED, KEPT):  # each follows the link mailed to them: their places are theirs
        MailBox(settings.mail_dir).confirm_registration(person["email"])
    feed = http.post(f"/registrations/{hanako['id']}/calendar-feed", params={"token": hanako["manage_token"]})
    assert feed.status_code == 201, feed.text

    def register_delegation():
        return http.post(f"/events/{event['id']}/registrations", json={
            "kind": "delegation", "member_group_id": group["id"], "places": 2, "display_name": "Group Contact",
            "email": "group.contact@example.org", "attendees": [{"name": "消去　花子"}, {"name": "Other Attendee"}]})
    wait_until(lambda: register_delegation().status_code == 201, "the group to be known to the events service")
    for person in (*ERASED, KEPT):
        wait_until(lambda person=person: len(mail_to(mailbox, person["email"])) >= 2, f"mail to {person['email']}")

    # The SMTP server goes away: the renewal reminders and a new registration's mail wait in the ledger.
    own_stack.stop_process("smtp-sink")
    rpc_call(settings, "members", "run_housekeeping", str(today))
    second = gateway.new_event(starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=2)).isoformat())
    assert gateway.publish(second["id"]).status_code == 200
    for person in (ADA, KEPT):
        assert http.post(f"/events/{second['id']}/registrations", json={
            "display_name": person["display_name"], "email": person["email"]}).status_code == 201
    wait_until(lambda: deliveries_retrying(settings, [HANAKO["email"], ADA["email"], KEPT["email"]]) >= 7,
               "the renewal, registration and announcement mails to wait for their retry")
    before = {person["email"]: len(mail_to(mailbox, person["email"])) for person in ERASED}

    for person in ERASED:
        erased = http.post(f"/members/{members[person['email']]}/erase")
        assert erased.status_code == 200, erased.text

    def applied_everywhere():
        seen = [http.get(f"/registrations/{registrations[p['email']]['id']}").json()["display_name"] for p in ERASED]
        subscribers = {s["email"] for s in rpc_call(settings, "notifications", "list_subscribers", "general")}
        return seen == ["(erased)", "(erased)"] and not {p["email"].lower() for p in ERASED} & subscribers
    wait_until(applied_everywhere, "the events and notifications services to apply the erasure")
    attendees = [a["name"] for r in http.get(f"/events/{event['id']}/registrations").json()
                 if r["kind"] == "delegation" for a in r["attendees"]]
    assert attendees == [None, "Other Attendee"]  # the person named in someone else's delegation is gone too

    # The mail comes back; reminders and housekeeping run: the kept person is mailed, the erased are not.
    own_stack.start_sink()
    before_kept = len(mail_to(mailbox, KEPT["email"]))
    MailBox(settings.mail_dir).confirm_registration(KEPT["email"], count=2)  # the second waited in the ledger
    # once the notifications service hears of it, it mails where that registration stands (and owes a reminder)
    wait_until(lambda: sum(m["Subject"].startswith(("[Registered]", "【登録しました】"))  # the second: in Japanese
                           for m in mail_to(mailbox, KEPT["email"])) == 2,
               "the kept person's second registration to be confirmed")
    assert rpc_call(settings, "notifications", "run_reminders", (starts - timedelta(days=2)).isoformat()) == 3
    rpc_call(settings, "members", "run_housekeeping", str(today + timedelta(days=40)))
    # the kept person's two event reminders and magazine renewal, and the three mails that waited
    wait_until(lambda: len(mail_to(mailbox, KEPT["email"])) >= before_kept + 6, "the kept person's mail")
    wait_until(lambda: deliveries_retrying(settings, [KEPT["email"]]) == 0, "every retry to be done")
    assert {person["email"]: len(mail_to(mailbox, person["email"])) for person in ERASED} == before

    searched = [str(path.relative_to(settings.var_dir)) for path in files_to_search(settings.var_dir)]
    assert {"events.db", "members.db", "notifications.db", "log/events.log", "log/members.log",
            "log/notifications.log", "log/gateway.log", "log/smtp-sink.log"} <= set(searched)
    deadline = time.monotonic() + PATIENCE
    while (left := traces(settings.var_dir, ERASED)) and time.monotonic() < deadline:
        time.sleep(1)
    assert left == {}, f"the erased people are still in {left}"
    assert traces(settings.var_dir, [KEPT]), "the search finds what is there"


def test_registrations_past_keeping_are_blanked_on_the_stack_and_each_run_is_recorded(own_stack):
    """Retention through the services' own housekeeping run (what their hourly timer does), at a moment
    chosen: the day before an event's keeping ends nothing goes, the day after its people do."""
    settings = own_stack.settings
    gateway, mailbox = Gateway(settings), MailBox(settings.mail_dir)
    event = gateway.new_event(kind="workshop", starts_at="2040-05-01T10:00", ends_at="2040-05-01T16:00",
                              keep_registrations_days=30)
    assert gateway.publish(event["id"], force=True).status_code == 200
    person = {"display_name": "Kept Thirty Days", "email": "thirty.days@example.org"}
    made = gateway.http.post(f"/events/{event['id']}/registrations", json=person).json()
    mailbox.confirm_registration(person["email"])
    feed = gateway.http.post(f"/registrations/{made['id']}/calendar-feed", params={"token": made["manage_token"]})
    assert feed.status_code == 201
    ends = datetime.fromisoformat(event["ends_at"])
    feed_path = httpx.URL(feed.json()["url"]).path
    rpc_call(settings, "events", "run_housekeeping", (ends + timedelta(days=29)).isoformat())  # a day early
    (listed,) = gateway.http.get(f"/events/{event['id']}/registrations").json()
    assert listed["display_name"] == person["display_name"] and gateway.http.get(feed_path).status_code == 200
    done = rpc_call(settings, "events", "run_housekeeping", (ends + timedelta(days=31)).isoformat())
    assert done["registrations_anonymised"] >= 1 and done["private_feeds_deleted"] >= 1  # the earlier tests' too
    (listed,) = gateway.http.get(f"/events/{event['id']}/registrations").json()
    assert listed["display_name"] == "(erased)" and listed["email"].endswith("@invalid")
    assert gateway.http.get(f"/events/{event['id']}").json()["confirmed_places"] == 1  # the count stays
    deadline = time.monotonic() + 10  # the gateway keeps a private feed it built for a second (a setting)
    while gateway.http.get(feed_path).status_code != 404:
        assert time.monotonic() < deadline, "the private feed still answers"
        time.sleep(0.2)
    for service in ("members", "notifications"):
        assert isinstance(rpc_call(settings, service, "run_housekeeping", None), dict)
