"""Mail as subscribers and registrants receive it, read from the real SMTP sink."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from email.policy import compat32

import httpx
import vobject
from kombu import Connection, Producer

from shared.bus.topology import event_exchange
from tests.conftest import ROOT
from tests.integration.patience import PATIENCE
from tests.integration.stack_calls import rpc_call
from tsunagu.stack import settings_env


def mails_to(mailbox, address: str) -> list:
    return [m for m in mailbox.messages() if m["X-Sink-Envelope-To"] == address]


def wait_for_mail(mailbox, address: str, count: int = 1, timeout: float = PATIENCE, subject: str | None = None) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in mails_to(mailbox, address) if subject is None or subject in m["Subject"]]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_double_opt_in_through_a_page_with_a_button(stack, gateway, mailbox):
    address = f"new-{uuid.uuid4().hex[:8]}@example.org"
    slug = f"women-{uuid.uuid4().hex[:6]}"
    gateway.http.post("/lists", json={"slug": slug, "name": {"ja": "移住女性", "en": "Migrant women"},
                                      "network": "migrant-women-optin"})
    public = httpx.Client(base_url=stack.settings.gateway_url, timeout=30)
    answer = public.post(f"/lists/{slug}/subscriptions", json={"email": address, "language": "en", "name": "Kim"})
    assert answer.status_code == 202
    (mail,) = wait_for_mail(mailbox, address)
    assert mail["Auto-Submitted"] == "auto-generated" and "Please confirm" in mail["Subject"]
    assert "Kim" not in mail.get_body(preferencelist=("plain",)).get_content()  # typed by whoever subscribed
    link = re.search(r"(http\S+/subscriptions/confirm\?token=\S+)", mail.get_body(preferencelist=("plain",)).get_content()).group(1)
    page = public.get(httpx.URL(link).raw_path.decode())
    assert page.status_code == 200 and "<form method=\"post\"" in page.text
    listed = {s["email"]: s["status"] for s in gateway.http.get(f"/lists/{slug}/subscribers").json()}
    assert listed[address] == "pending"  # opening the link (as a mail scanner would) subscribes nobody
    token = httpx.URL(link).params["token"]
    database = stack.settings.var_dir / "notifications.db"
    stored = b"".join(path.read_bytes() for path in (database, database.with_name(database.name + "-wal"))
                      if path.exists())
    assert address.encode() in stored and token.encode() not in stored  # the database keeps no token
    assert public.post("/subscriptions/confirm", data={"token": token}).status_code == 200
    listed = {s["email"]: s["status"] for s in gateway.http.get(f"/lists/{slug}/subscribers").json()}
    assert listed[address] == "confirmed"
    again = public.post(f"/lists/{slug}/subscriptions", json={"email": address})
    assert again.status_code == 202 and again.json() == answer.json()  # no enumeration
    time.sleep(1)
    assert len(mails_to(mailbox, address)) == 1  # and no second mail
    assert public.post("/subscriptions/confirm", data={"token": "forged"}).status_code == 404


def test_region_and_general_lists_mail_each_address_once_with_one_click_unsubscribe(stack, gateway, mailbox):
    slug = f"region-{uuid.uuid4().hex[:6]}"
    gateway.http.post("/lists", json={"slug": slug, "name": {"ja": "北海道", "en": "Hokkaido list"},
                                      "region": "hokkaido"})
    both, region_only = f"both-{uuid.uuid4().hex[:6]}@example.org", f"hk-{uuid.uuid4().hex[:6]}@example.org"
    rpc_call(stack, "notifications", "add_confirmed_subscribers", "general", [{"email": both, "language": "en"}])
    rpc_call(stack, "notifications", "add_confirmed_subscribers", slug,
             [{"email": both, "language": "en"}, {"email": region_only, "language": "ja"}])
    event = gateway.new_event(region="hokkaido", city="札幌市")
    gateway.publish(event["id"])
    assert len(wait_for_mail(mailbox, region_only)) == 1
    time.sleep(1)
    (mail,) = [m for m in mails_to(mailbox, both) if f"/event/{event['id']}?" in m.get_body(preferencelist=("plain",)).get_content()]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_link, mailto = re.findall(r"<([^>]+)>", mail["List-Unsubscribe"])
    assert https_link.startswith(stack.settings.gateway_url + "/lists/unsubscribe/") and mailto.startswith("mailto:")
    assert mail["List-Id"].endswith(".lists.tsunagu.localhost>") and mail["Precedence"] == "list"
    # as a client that does not decode headers reads them (Gmail's one-click unsubscribe does not)
    raw = mailbox.raw(mail["Message-ID"])
    assert f"List-Unsubscribe: <{https_link}>,\r\n <{mailto}>\r\n".encode() in raw
    head = message_from_bytes(raw, policy=compat32)
    assert head["List-Id"] == "General <general.lists.tsunagu.localhost>" == mail["List-Id"]
    assert head["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and "=?" not in head["Message-ID"]
    raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # every header line is ASCII
    assert https_link in mail.get_body(preferencelist=("plain",)).get_content()
    assert httpx.get(https_link).status_code == 200  # a GET only shows the button
    assert httpx.post(https_link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert httpx.post(https_link.rsplit("/", 1)[0] + "/forged", data={}).status_code == 404
    later = gateway.new_event(region="hokkaido", city="函館市")
    gateway.publish(later["id"])
    assert wait_for_mail(mailbox, region_only, 2)
    time.sleep(1)
    assert not [m for m in mails_to(mailbox, both) if f"/event/{later['id']}?" in m.get_body(preferencelist=("plain",)).get_content()
                and m["List-Id"] == mail["List-Id"]]


def test_an_organizers_announcement_in_each_language_with_progress(stack, gateway, mailbox):
    slug = f"magazine-{uuid.uuid4().hex[:6]}"
    gateway.http.post("/lists", json={"slug": slug, "name": {"ja": "会報", "en": "Magazine"}})
    readers = [(f"r{n}-{uuid.uuid4().hex[:4]}@example.org", lang) for n, lang in enumerate(["ja", "en", "vi"])]
    rpc_call(stack, "notifications", "add_confirmed_subscribers", slug,
             [{"email": email, "language": lang} for email, lang in readers])
    created = gateway.http.post(f"/lists/{slug}/announcements", json={
        "subject": {"ja": "会報 第100号", "en": "Newsletter no. 100"},
        "body": {"ja": "今号の特集は技能実習制度です。", "en": "This issue: the technical intern training system."}})
    assert created.status_code == 202 and created.json()["recipients"] == 3
    deadline = time.monotonic() + PATIENCE
    while gateway.http.get(f"/announcements/{created.json()['id']}").json()["sent"] < 3 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert gateway.http.get(f"/announcements/{created.json()['id']}").json()["sent"] == 3
    subjects = {email: wait_for_mail(mailbox, email)[0]["Subject"] for email, _ in readers}
    assert subjects[readers[0][0]] == "会報 第100号" and subjects[readers[1][0]] == "Newsletter no. 100"
    assert subjects[readers[2][0]] == "会報 第100号"  # vi → ja


def test_registration_mail_carries_the_event_as_ics_once_even_when_redelivered(stack, gateway, mailbox):
    event = gateway.http.post("/events", json={
        "kind": "symposium", "title": {"ja": "シンポジウム", "en": "Symposium"}, "region": "kanto", "capacity": 1,
        "venue": {"name": "連合会館", "latitude": 35.69, "longitude": 139.76},
        "starts_at": "2036-03-01T13:00", "ends_at": "2036-03-01T17:00"}).json()
    gateway.publish(event["id"], force=True)
    first, second = f"reg1-{uuid.uuid4().hex[:6]}@example.org", f"reg2-{uuid.uuid4().hex[:6]}@example.org"
    gateway.http.post(f"/events/{event['id']}/registrations", json={"display_name": "Ken", "email": first, "language": "en"})
    gateway.http.post(f"/events/{event['id']}/registrations", json={"display_name": "Mai", "email": second})
    for address in (first, second):  # each follows the link mailed to them; then where they stand is mailed
        mailbox.confirm_registration(address)
    (confirmed,) = wait_for_mail(mailbox, first, subject="[Registered]")
    assert confirmed["Subject"] == "[Registered] Symposium" and confirmed["Auto-Submitted"] == "auto-generated"
    (attachment,) = list(confirmed.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    raw = mailbox.raw(confirmed["Message-ID"])
    assert b"\r\nContent-Type: text/calendar; charset=utf-8; method=PUBLISH\r\n" in raw
    (calendar,) = [p for p in message_from_bytes(raw, policy=compat32).walk() if p.get_content_type() == "text/calendar"]
    text = calendar.get_payload(decode=True).decode(calendar.get_content_charset())
    assert "SUMMARY:Symposium\r\n" in text and "LOCATION:連合会館\r\n" in text
    vevent = vobject.readOne(attachment.get_content()).vevent
    assert vevent.uid.value == f"{event['id']}@tsunagu" and vevent.summary.value == "Symposium"
    assert vevent.dtstart.value.utcoffset().total_seconds() == 9 * 3600
    (waitlisted,) = wait_for_mail(mailbox, second, subject="キャンセル待ち")
    assert "キャンセル待ち" in waitlisted["Subject"] and not list(waitlisted.iter_attachments())

    # the bus delivers the same registration event again: still one mail
    payload = {"event_id": str(uuid.uuid4()), "occurred_at": "2036-01-01T00:00:00Z", "schema_version": 1,
               "registration_id": str(uuid.uuid4()), "event": {k: event[k] for k in (
                   "id", "kind", "status", "revision", "sequence", "title", "region", "prefecture", "city", "venue",
                   "timezone", "all_day", "starts_at", "ends_at", "updated_at")},
               "session_ids": [], "status": "cancelled", "previous_status": "confirmed", "places": 1,
               "registrant": {"display_name": "Rin", "email": f"dup-{uuid.uuid4().hex[:6]}@example.org", "language": "ja"}}
    with Connection(stack.settings.amqp_uri) as connection:
        producer = Producer(connection.default_channel)
        for _ in range(2):
            producer.publish(payload, exchange=event_exchange("events"), routing_key="registration_cancelled",
                             serializer="json", declare=[event_exchange("events")])
    assert len(wait_for_mail(mailbox, payload["registrant"]["email"])) == 1
    time.sleep(1.5)
    assert len(mails_to(mailbox, payload["registrant"]["email"])) == 1


def test_a_restart_in_the_middle_of_a_send_mails_everyone_once(stack, gateway, mailbox):
    slug = f"big-{uuid.uuid4().hex[:6]}"
    gateway.http.post("/lists", json={"slug": slug, "name": {"en": "Big list"}})
    # Large enough that the send is still going when the stop arrives (a few seconds at this machine's pace).
    addresses = [f"bulk{n}-{uuid.uuid4().hex[:4]}@example.org" for n in range(2000)]
    rpc_call(stack, "notifications", "add_confirmed_subscribers", slug, [{"email": a} for a in addresses])
    created = gateway.http.post(f"/lists/{slug}/announcements", json={"subject": {"en": "Bulk"}, "body": {"en": "…"}})
    announcement = created.json()["id"]
    deadline = time.monotonic() + PATIENCE
    while gateway.http.get(f"/announcements/{announcement}").json()["sent"] < 50 and time.monotonic() < deadline:
        time.sleep(0.02)
    stack.stop_process("notifications")  # SIGTERM in the middle of the send
    try:
        sent_at_stop = sum(1 for m in mailbox.messages() if m["Subject"] == "Bulk")
        assert 0 < sent_at_stop < len(addresses), "the send was not interrupted; nothing was tested"
        progress = rpc_call(stack, "events", "ping")  # (the rest of the system keeps answering)
        assert progress["status"] == "ok"
    finally:
        stack.start_service("notifications")  # whatever happened, the next tests need it
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        counts = gateway.http.get(f"/announcements/{announcement}")
        if counts.status_code == 200 and counts.json()["sent"] == len(addresses):
            break
        time.sleep(0.5)
    received = [m["X-Sink-Envelope-To"] for m in mailbox.messages() if m["Subject"] == "Bulk"]
    assert sorted(received) == sorted(addresses)  # everyone, once
    stack.wait_healthy(PATIENCE)


def test_an_organizer_imports_a_lists_subscribers_with_the_consent_held_for_each(stack, gateway, mailbox):
    slug = f"magazine-{uuid.uuid4().hex[:6]}"
    gateway.http.post("/lists", json={"slug": slug, "name": {"ja": "会報誌", "en": "Magazine"}})
    reader, other = (f"{name}-{uuid.uuid4().hex[:6]}@example.org" for name in ("yamada", "kim"))
    csv = ("email,name,language,consent_basis,consent_date\r\n"
           f"{reader},山田 花子,ja,magazine_subscription,2024/4/1\r\n"
           f"{other},Kim,en,confirmed_elsewhere,2023-10-05\r\n"
           "broken,X,ja,confirmed_elsewhere,2020-01-01\r\n").encode("cp932")  # as Japanese Excel saves it
    path = f"/lists/{slug}/subscribers/import"
    anonymous = httpx.post(stack.settings.gateway_url + path, content=csv)
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == "application/problem+json"
    dry = gateway.http.post(path, params={"dry_run": "true"}, content=csv)
    assert dry.status_code == 200, dry.text
    assert {k: v for k, v in dry.json().items() if k != "rejected"} == {
        "dry_run": True, "rows": 3, "created": 2, "updated": 0, "unchanged": 0}
    assert [(p["row"], p["field"]) for p in dry.json()["rejected"]] == [(4, "email")]
    assert gateway.http.get(f"/lists/{slug}/subscribers").json() == []  # a dry run changes nothing
    too_large = gateway.http.post(path, content=csv + b"x" * (10 * 2**20))
    assert too_large.status_code == 413 and too_large.headers["content-type"] == "application/problem+json"
    assert gateway.http.post(path, content=csv).json()["created"] == 2
    again = gateway.http.post(path, content=csv).json()
    assert (again["created"], again["unchanged"]) == (0, 2)
    listed = {s["email"]: s for s in gateway.http.get(f"/lists/{slug}/subscribers").json()}
    assert (listed[reader]["status"], listed[reader]["name"], listed[reader]["consent_basis"],
            listed[reader]["consent_date"]) == ("confirmed", "山田 花子", "magazine_subscription", "2024-04-01")
    gateway.http.post(f"/lists/{slug}/announcements", json={"subject": {"ja": "会報 第101号", "en": "No. 101"},
                                                          "body": {"ja": "今号の特集", "en": "This issue"}})
    # the announcement is the first and only mail they get: no confirmation mail went to them before it
    assert [m["Subject"] for m in wait_for_mail(mailbox, reader)] == ["会報 第101号"]
    assert [m["Subject"] for m in wait_for_mail(mailbox, other)] == ["No. 101"]


def test_the_command_line_imports_a_lists_subscribers(stack, gateway, tmp_path):
    slug = f"old-list-{uuid.uuid4().hex[:6]}"
    gateway.http.post("/lists", json={"slug": slug, "name": {"ja": "旧メーリングリスト"}})
    file = tmp_path / "old-list.csv"
    file.write_bytes(("email,consent_basis,consent_date\r\n"
                      "old1@example.org,confirmed_elsewhere,2015年6月1日\r\n"
                      "old2@example.org,double_opt_in,2015-06-01\r\n").encode("cp932"))
    env = {**os.environ, **settings_env(stack.settings)}
    result = subprocess.run([sys.executable, "-m", "tsunagu.cli", "lists", "import", slug, str(file)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert "2 rows: 1 added, 0 confirmed, 0 already on the list, 1 rejected" in result.stdout and "line 3: consent_basis" in result.stdout, result.stderr
    assert result.returncode == 1  # a rejected line is worth a non-zero exit for scripts
    assert [s["email"] for s in gateway.http.get(f"/lists/{slug}/subscribers").json()] == ["old1@example.org"]
