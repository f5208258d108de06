"""The secretariat, in the console on a phone (in English): the month's schedule across regions with
its clash marked; an event postponed, given new dates and a session (its refusal beside the field first)
and published again; members — the year-on-year figures, a group added (its refusal beside the field
first), a membership period added, a spreadsheet checked by a dry run whose report names the rejected
line, then imported without sending it again; a list's announcement written in two languages, previewed
as each group of readers gets it, sent, its progress followed live to the end, the Vietnamese reader's
mail carrying their own unsubscribe line; the audit trail naming what was read — in Chromium, every
page checked."""
from __future__ import annotations

import uuid

import pytest

from shared.contracts.identity import sign_in_url
from shared.rpc import RpcPool
from tests.integration.browser import PageChecks, phone
from tests.integration.conftest import Gateway, MailBox

pytestmark = pytest.mark.browser


def _secretariat_link(settings, address: str) -> str:
    pool = RpcPool.for_operator(settings)
    try:
        with pool.services() as rpc:
            rpc.members.add_account({"email": address, "grants": [{"role": "secretariat"}]})
            return sign_in_url(settings.gateway_url, rpc.members.issue_sign_in_link(address, "en"))
    finally:
        pool.close()


def test_the_secretariat_plans_keeps_the_members_and_writes_to_a_list(stack):
    settings = stack.settings
    gateway, mailbox, suffix = Gateway(settings), MailBox(settings.mail_dir), uuid.uuid4().hex[:6]
    forum = gateway.new_event(kind="national_forum", title={"en": f"Forum {suffix}"}, region="kyushu-okinawa",
                              starts_at="2028-03-04T10:00:00", ends_at="2028-03-05T16:00:00")
    talks = gateway.new_event(kind="negotiation", title={"en": f"Ministry talks {suffix}"}, region="kanto",
                              starts_at="2028-03-04T14:00:00", ends_at="2028-03-04T17:00:00")
    assert gateway.publish(talks["id"], force=True).status_code == 200  # the forum stays a draft
    slug = f"news-{suffix}"
    assert gateway.http.post("/lists", json={"slug": slug, "name": {"ja": "ニュース", "en": "News"}}).status_code == 201
    readers = {"ja": f"ja-{suffix}@example.org", "vi": f"vi-{suffix}@example.org"}
    pool = RpcPool.for_operator(settings)
    try:
        with pool.services() as rpc:
            rpc.notifications.add_confirmed_subscribers(slug, [{"email": address, "language": language}
                                                               for language, address in readers.items()])
    finally:
        pool.close()
    link = _secretariat_link(settings, f"office-{suffix}@example.org")

    with phone(settings.gateway_url, locale="en-GB") as (page, visits):
        checks = PageChecks(page, visits)
        page.goto(link)
        page.get_by_role("button").click()
        page.goto(f"{settings.gateway_url}/console")
        page.get_by_role("link", name="Schedule").click()
        page.goto(f"{settings.gateway_url}/console/schedule?month=2028-03")
        day = page.locator("#day-2028-03-04 + ul.events")
        assert f"Forum {suffix}" in day.inner_text() and f"Ministry talks {suffix}" in day.inner_text()
        clash = day.locator("li.clash", has_text=f"Forum {suffix}").first
        assert "Two network-wide events at once" in clash.inner_text() and f"Ministry talks {suffix}" in clash.inner_text()
        assert clash.locator(f'a[href="/console/events/{forum["id"]}"]').count() == 1  # the draft, to its page
        assert page.locator("td.clash a", has_text="4").count() == 1  # the day is marked in the month too
        checks.check("schedule")

        page.goto(f"{settings.gateway_url}/console/events/{talks['id']}")
        page.get_by_role("button", name="Postpone (new dates later)").click()
        assert "Postponed" in page.inner_text(".kind")
        page.get_by_role("link", name="Change the event").click()
        checks.check("changing a postponed event")
        page.locator("#starts_at").fill("2028-04-08T14:00")
        page.locator("#ends_at").fill("2028-04-08T17:00")
        page.locator("#session_0_title").fill("本会議")
        page.locator("#session_0_starts_at").fill("2028-04-08T15:00")
        page.locator("#session_0_ends_at").fill("2028-04-08T13:00")  # before it starts
        page.get_by_role("button", name="Save the changes").click()
        assert page.locator("#session_0_ends_at").get_attribute("aria-invalid") == "true"
        assert page.locator("#starts_at").input_value() == "2028-04-08T14:00"  # what was typed, kept
        checks.check("a session's refusal beside its field")
        page.locator("#session_0_ends_at").fill("2028-04-08T16:30")
        page.get_by_role("button", name="Save the changes").click()
        page.get_by_role("button", name="Publish again (with its new dates)").click()
        assert "Published" in page.inner_text(".kind")
        moved = gateway.http.get(f"/events/{talks['id']}").json()
        assert (moved["starts_at"], moved["status"]) == ("2028-04-08T05:00:00Z", "published")
        assert moved["title"] == {"en": f"Ministry talks {suffix}"}  # what the form did not show, kept
        assert [(each["title"]["ja"], each["ends_at"]) for each in moved["sessions"]] == [
            ("本会議", "2028-04-08T07:30:00Z")]
        checks.check("published again")

        page.goto(f"{settings.gateway_url}/console/members")
        figures = page.inner_text("table.figures")
        assert "Individuals" in figures and "Groups" in figures
        checks.check("members")
        page.get_by_role("link", name="Add a member group").click()
        page.get_by_label("Name (Japanese)").fill(f"移住者の会 {suffix}")
        page.get_by_label("Contact address (organizers only)").fill("not an address")
        page.get_by_role("button", name="Add", exact=True).click()
        assert page.get_by_label("Contact address (organizers only)").get_attribute("aria-invalid") == "true"
        checks.check("a refusal beside its field")
        page.get_by_label("Contact address (organizers only)").fill(f"contact-{suffix}@example.org")
        page.get_by_role("button", name="Add", exact=True).click()
        assert page.locator("h1").inner_text() == f"移住者の会 {suffix}"
        page.get_by_label("From").fill("2028-04-01")
        page.get_by_label("Until").fill("2029-03-31")
        page.get_by_label("Dues").select_option("paid")
        page.get_by_role("button", name="Add the period").click()
        assert "2029-03-31" in page.inner_text("#periods ~ table, main") and "Paid" in page.inner_text("main")
        page.get_by_label("Name (English)").fill(f"Migrants' circle {suffix}")
        page.get_by_role("button", name="Save").click()
        assert page.get_by_label("Name (English)").input_value() == f"Migrants' circle {suffix}"
        checks.check("a member group")

        page.goto(f"{settings.gateway_url}/console/members/import")
        sheet = ("member_kind,display_name,email,region\r\n"
                 f"individual,会員 {suffix},member-{suffix}@example.org,kanto\r\n"
                 f"individual,誤り {suffix},no-at-sign-{suffix},kanto\r\n").encode()
        page.get_by_label("The member list (CSV: UTF-8, Shift_JIS, or Excel's Unicode text)").set_input_files(
            {"name": "members.csv", "mimeType": "text/csv", "buffer": sheet})
        page.get_by_role("button", name="Send").click()
        page.get_by_text("Checked, nothing changed yet.").wait_for(timeout=30_000)  # live.js, or the link
        rejected = page.inner_text("main table")
        assert "3" in rejected and "email" in rejected  # line 3, its field, and why
        checks.check("the dry run's report")
        assert gateway.http.get("/directory", params={"q": f"会員 {suffix}"}).json() == []  # nothing yet
        page.get_by_role("button", name="Import this file now").click()
        page.get_by_text("Imported.").wait_for(timeout=30_000)
        found = gateway.http.get("/directory", params={"q": f"会員 {suffix}"}).json()
        assert [each["email"] for each in found] == [f"member-{suffix}@example.org"]
        checks.check("imported")

        page.goto(f"{settings.gateway_url}/console/lists/{slug}")
        page.locator("#language_0").select_option("ja")
        page.locator("#subject_0").fill(f"会報 {suffix}")
        page.locator("#body_0").fill("今号の特集です。")
        page.locator("#language_1").select_option("en")
        page.locator("#subject_1").fill(f"Newsletter {suffix}")
        page.locator("#body_1").fill("This issue's feature.")
        page.get_by_role("button", name="Preview").click()
        preview = page.inner_text("#preview ~ article.preview >> nth=0") + page.inner_text("main")
        assert "they get the text in 日本語" in preview and "今号の特集です。" in preview
        checks.check("preview")
        page.get_by_role("button", name="Send to the list").click()
        page.get_by_text("Done.").wait_for(timeout=60_000)
        assert page.inner_text("dd.sent") == "2" and page.inner_text("dd.failed") == "0"
        checks.check("sent")
        (vietnamese,) = mailbox.to(readers["vi"])
        body = vietnamese.get_body(preferencelist=("plain",)).get_content()
        assert vietnamese["Subject"] == f"会報 {suffix}" and "Hủy nhận thư: " in body

        page.goto(f"{settings.gateway_url}/console/audit?action=directory.organizer_view")
        assert "directory.organizer_view" in page.inner_text("table.audit")
        checks.check("audit trail")
    checks.assert_passed()
