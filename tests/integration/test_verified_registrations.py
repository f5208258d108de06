"""Registrations whose address is confirmed, on the real stack: the confirmation mail read as raw bytes
from the SMTP sink, its link followed as a person does (a page, then its button), and someone typing
another person's address getting neither their place for good, nor their calendar, nor their name in
the mail."""
from __future__ import annotations

import uuid
from email.parser import BytesHeaderParser
from email.policy import compat32

import httpx

from tests.integration.conftest import MailBox


def test_a_registration_made_by_anyone_is_confirmed_by_the_link_mailed_to_its_address(stack, gateway, mailbox):
    event = gateway.new_event(capacity=5)
    assert gateway.publish(event["id"], force=True).status_code == 200
    public = httpx.Client(base_url=stack.settings.gateway_url, timeout=30)
    address = f"mai-{uuid.uuid4().hex[:8]}@example.org"
    typed_name = "Someone Typing <b>Mai</b>"
    receipt = public.post(f"/events/{event['id']}/registrations", json={"display_name": typed_name, "email": address,
                                                                        "language": "en"}).json()
    assert receipt["address_confirmed"] is False and receipt["hold_until"]

    (mail,) = mailbox.to(address)
    raw = MailBox.raw(mailbox, mail["Message-ID"])
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)  # as a parser that decodes nothing reads it
    assert raw.split(b"\r\n\r\n", 1)[0].isascii() and headers["Auto-Submitted"] == "auto-generated"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "confirm" in mail["Subject"].lower() and "Mai" not in body and "Someone" not in body  # no typed text
    link = httpx.URL(mailbox.confirmation_link(address))
    assert str(link).startswith(stack.settings.gateway_url)  # only the network's own address

    page = public.get(link.raw_path.decode())  # what a mail scanner does: confirms nothing
    assert page.status_code == 200 and '<form method="post"' in page.text
    mine = {"token": receipt["manage_token"]}
    assert public.get(f"/registrations/{receipt['id']}", params=mine).json()["address_confirmed"] is False
    done = public.post("/registration-confirmation", data={"token": link.params["token"]})
    assert done.status_code == 200 and "confirmed" in done.text
    assert public.get(f"/registrations/{receipt['id']}", params=mine).json()["address_confirmed"] is True
    again = public.post("/registration-confirmation", data={"token": link.params["token"]})
    assert again.status_code == 200  # following it twice is no error
    assert public.post("/registration-confirmation", data={"token": "forged"}).status_code == 404
    # now the usual mail of where the registration stands follows, with the name the person gave
    status = mailbox.to(address, count=2)
    assert any("Someone Typing" in m.get_body(preferencelist=("plain",)).get_content() for m in status)


def test_someone_else_s_address_gets_neither_their_calendar_nor_their_place_for_good(stack, gateway, mailbox):
    event = gateway.new_event(capacity=5)
    assert gateway.publish(event["id"], force=True).status_code == 200
    public = httpx.Client(base_url=stack.settings.gateway_url, timeout=30)
    victim = f"victim-{uuid.uuid4().hex[:8]}@example.org"
    own = public.post(f"/events/{event['id']}/registrations", json={"display_name": "V", "email": victim}).json()
    mailbox.confirm_registration(victim)
    feed = public.post(f"/registrations/{own['id']}/calendar-feed", params={"token": own["manage_token"]})
    assert feed.status_code == 201
    other = gateway.new_event(capacity=5, title={"ja": "別の会合"})
    assert gateway.publish(other["id"], force=True).status_code == 200
    forged = public.post(f"/events/{other['id']}/registrations", json={"display_name": "X", "email": victim}).json()
    stolen = public.post(f"/registrations/{forged['id']}/calendar-feed", params={"token": forged["manage_token"]})
    assert stolen.status_code == 403 and stolen.headers["content-type"] == "application/problem+json"
    calendar = public.get(httpx.URL(feed.json()["url"]).path)
    assert calendar.status_code == 200  # the victim's feed still answers …
    assert f"{event['id']}@tsunagu" in calendar.text and f"{other['id']}@tsunagu" not in calendar.text  # … as theirs
