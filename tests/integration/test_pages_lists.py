"""A subscriber who reads やさしい日本語 subscribes from the lists page, confirms from the mail, receives an
announcement and leaves the list from the page its link opens — in Chromium, every page checked."""
from __future__ import annotations

import re
import uuid

import pytest

from tests.integration.browser import PageChecks, phone
from tests.integration.conftest import Gateway, MailBox

pytestmark = pytest.mark.browser


def test_a_reader_of_easy_japanese_subscribes_confirms_receives_and_leaves(stack):
    settings = stack.settings
    gateway, mailbox = Gateway(settings), MailBox(settings.mail_dir)
    slug = f"tokai-{uuid.uuid4().hex[:6]}"
    created = gateway.http.post("/lists", json={"slug": slug, "name": {"ja": f"東海のお知らせ {slug}"},
                                                "description": {"ja": "東海地域のイベント"}})
    assert created.status_code == 201, created.text
    address = f"easy-{uuid.uuid4().hex[:6]}@example.org"

    with phone(settings.gateway_url, locale="ja-JP") as (page, visits):
        checks = PageChecks(page, visits)
        check = checks.check
        page.goto(f"{settings.gateway_url}/subscribe?lang=ja-x-easy")
        assert page.get_by_label("メールの ことば").input_value() == "ja-x-easy"  # the page's language
        check("lists")
        page.get_by_role("button", name="登録する").click()  # nothing chosen, no address
        assert page.locator(".error-summary").is_visible() and "リストを 1つ 以上" in page.inner_text(".error-summary")
        page.get_by_label(f"東海のお知らせ {slug}").check()
        page.get_by_label("メールアドレス").fill(address)
        page.get_by_role("button", name="登録する").click()
        assert page.locator("h1").inner_text() == "メールを 見て ください"
        check("sent")

        (mail,) = mailbox.to(address)
        link = re.search(r"(http\S+/subscriptions/confirm\?\S+)", mail.get_body(("plain",)).get_content()).group(1)
        page.goto(link)
        assert page.evaluate("document.documentElement.lang") == "ja" and "ボタンを 押すと" in page.inner_text("main")
        check("confirm")
        page.get_by_role("button", name="登録する").click()
        assert page.locator("h1").inner_text() == "登録しました"
        check("subscribed")

        sent = gateway.http.post(f"/lists/{slug}/announcements",
                                 json={"subject": {"ja": "東海の集まり"}, "body": {"ja": "12月に集まります。"}})
        assert sent.status_code in (201, 202), sent.text
        announcements = [m for m in mailbox.to(address, count=2) if m["List-Id"]]
        assert announcements, "the announcement reached the subscriber"
        unsubscribe = re.search(r"<(http[^>]+/lists/unsubscribe/[^>]+)>", announcements[0]["List-Unsubscribe"]).group(1)
        page.goto(unsubscribe)
        assert "止めますか" in page.inner_text("main")  # in the subscriber's own language, from the link alone
        check("leave")
        page.get_by_role("button", name="メールを 止める").click()
        assert page.locator("h1").inner_text() == "メールを 止めました"
        check("left")

    checks.assert_passed()
    statuses = {s["email"]: s for s in gateway.http.get(f"/lists/{slug}/subscribers").json()}
    assert statuses[address]["status"] == "unsubscribed" and statuses[address]["language"] == "ja-x-easy"
