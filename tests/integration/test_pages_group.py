"""A member group's contact, on a phone in Tagalog, asks for a sign-in link, opens it from the mail, goes
to the group's page, registers a delegation of 3 for a Workshop, names the attendees, keeps the group's
directory entry (shown to members only), and gets the group's calendar address, which two calendar
parsers read — in Chromium, every page checked."""
from __future__ import annotations

import re
import time
import uuid

import httpx
import icalendar
import pytest
import vobject

from shared.rpc import RpcPool
from tests.integration.browser import PageChecks, phone
from tests.integration.conftest import Gateway, MailBox
from tests.integration.patience import PATIENCE

pytestmark = pytest.mark.browser


def test_a_group_contact_signs_in_from_the_mail_registers_a_delegation_of_three_and_names_them(stack):
    settings = stack.settings
    gateway, mailbox, suffix = Gateway(settings), MailBox(settings.mail_dir), uuid.uuid4().hex[:6]
    group = gateway.http.post("/members/groups", json={"name": {"ja": f"カラバオの会 {suffix}", "tl": f"Kalabaw {suffix}"},
                                                       "kind": "community_association", "region": "kanto"}).json()
    assert gateway.http.post(f"/members/{group['id']}/memberships",
                             json={"starts_on": "2026-04-01", "ends_on": "2099-03-31"}).status_code == 201
    event = gateway.new_event(kind="workshop", title={"ja": f"関東ワークショップ {suffix}", "tl": f"Workshop sa Kanto {suffix}"},
                              region="kanto", starts_at="2027-09-04T13:00:00", ends_at="2027-09-04T17:00:00",
                              capacity=60, group_quota=5)
    assert gateway.publish(event["id"]).status_code == 200
    contact = f"office-{suffix}@example.org"
    pool = RpcPool.for_operator(settings)
    try:
        with pool.services() as rpc:
            rpc.members.add_account({"email": contact, "grants": [{"role": "group_contact", "groups": [group["id"]]}]})
    finally:
        pool.close()

    with phone(settings.gateway_url, locale="tl-PH") as (page, visits):
        checks = PageChecks(page, visits)
        page.goto(f"{settings.gateway_url}/sign-in")
        checks.check("ask for a link")
        page.get_by_label("Iyong e-mail address").fill(contact)
        page.get_by_role("button", name="Padalhan ako ng link").click()
        checks.check("link sent")
        (mail,) = mailbox.to(contact)
        link = re.search(r"(http\S+/auth/sign-in\?\S+)", mail.get_body(("plain",)).get_content()).group(1)
        page.goto(link)
        page.get_by_role("button", name="Mag-sign in").click()
        checks.check("signed in")

        page.goto(f"{settings.gateway_url}/me")
        page.get_by_role("link", name=f"Kalabaw {suffix}").click()
        assert page.locator("h1").inner_text() == f"Kalabaw {suffix}"
        checks.check("group")
        deadline = time.monotonic() + PATIENCE  # the events service learns of the new member group over the bus
        while True:
            page.get_by_label("Event", exact=True).select_option(event["id"])
            page.get_by_label("Mga puwesto").fill("3")
            page.get_by_role("button", name="Iparehistro ang delegasyon").click()
            if not page.locator(".notice").count():
                break
            assert time.monotonic() < deadline, page.inner_text(".notice")
            time.sleep(0.5)
            page.goto(f"{settings.gateway_url}/group/{group['id']}")
        assert f"Workshop sa Kanto {suffix}" in page.inner_text("#delegations ~ ul, main")
        checks.check("delegation registered")
        for number, name in enumerate(["Rosa", "Jun", "Ligaya"], start=1):
            page.get_by_label(f"Dadalo {number}").fill(name)
        page.get_by_role("button", name="I-save ang mga pangalan").click()
        assert page.get_by_label("Dadalo 3").input_value() == "Ligaya"
        checks.check("attendees named")
        page.get_by_label("Mga miyembro lamang ng network").check()  # the group's entry: to members only
        page.get_by_label("Tagalog", exact=True).check()
        page.get_by_label("Ipinapakitang contact (telepono o address para sa publiko)").fill("045-111-2222")
        page.get_by_role("button", name="I-save", exact=True).click()
        assert page.get_by_label("Mga miyembro lamang ng network").is_checked()
        checks.check("entry kept")
        page.get_by_role("button", name="Kunin ang calendar address ng grupo").click()
        feed = page.get_by_label("Ang calendar address ng grupo").input_value()
        checks.check("the group's calendar")
    checks.assert_passed()
    calendar = httpx.get(feed, params={"lang": "tl"}, timeout=30)  # as a calendar app subscribes to it
    assert calendar.status_code == 200 and calendar.headers["content-type"].startswith("text/calendar")
    uids = [str(entry["UID"]) for entry in icalendar.Calendar.from_ical(calendar.content).walk("VEVENT")]
    assert uids == [f"{event['id']}@tsunagu"]
    assert [entry.uid.value for entry in vobject.readOne(calendar.text).vevent_list] == uids
    (delegation,) = [r for r in gateway.http.get(f"/events/{event['id']}/registrations").json()
                     if r["member_group_id"] == group["id"]]
    assert (delegation["places"], delegation["email"]) == (3, contact)
    assert [attendee["name"] for attendee in delegation["attendees"]] == ["Rosa", "Jun", "Ligaya"]
    entry = gateway.http.get(f"/members/{group['id']}").json()
    assert (entry["visibility"], entry["help_languages"], entry["public_contact"]) == ("members", ["tl"], "045-111-2222")
