"""An individual, on a phone whose browser asks for Vietnamese, finds a Workshop, registers with an
interpretation need, confirms the address from the mail, and cancels from their own page — in Chromium,
against the real stack, every page checked (tests/integration/browser.py)."""
from __future__ import annotations

import re
import uuid

import pytest

from tests.integration.browser import PageChecks, phone
from tests.integration.conftest import Gateway, MailBox

pytestmark = pytest.mark.browser


def test_a_vietnamese_reader_registers_with_interpretation_confirms_and_cancels(stack):
    settings = stack.settings
    gateway, mailbox = Gateway(settings), MailBox(settings.mail_dir)
    title = f"東海ワークショップ {uuid.uuid4().hex[:6]}"
    event = gateway.new_event(kind="workshop", title={"ja": title, "vi": f"Hội thảo Tokai {title[-6:]}"},
                              starts_at="2031-06-07T13:00:00", ends_at="2031-06-07T17:00:00", capacity=40,
                              venue={"name": "名古屋国際センター", "address": "名古屋市中村区那古野1-47-1"})
    assert gateway.publish(event["id"]).status_code == 200
    address = f"nguyen-{uuid.uuid4().hex[:6]}@example.org"

    with phone(settings.gateway_url, locale="vi-VN") as (page, visits):
        checks = PageChecks(page, visits)
        check = checks.check
        page.goto(f"{settings.gateway_url}/event/{event['id']}")
        assert page.evaluate("document.documentElement.lang") == "vi"
        assert page.locator("h1").inner_text() == f"Hội thảo Tokai {title[-6:]}"  # the organizer's Vietnamese
        assert "名古屋国際センター" in page.inner_text("main") and "13:00" in page.inner_text("main")
        check("event")

        page.get_by_label("Tên của bạn").fill("Nguyễn Văn An")
        page.get_by_label("Địa chỉ e-mail").fill(address)
        page.get_by_label("Phiên dịch từ tiếng Nhật sang").select_option("vi")
        page.get_by_role("button", name="Đăng ký").click()
        assert "Cảm ơn bạn" in page.locator("h1").inner_text()
        assert address in page.inner_text("main")  # asked to confirm it
        check("registered")

        page.get_by_role("link", name="Đăng ký của tôi").click()
        manage = page.url
        assert "xác nhận" in page.inner_text(".status")  # held, the address not yet confirmed… but placed
        check("registration")

        link = mailbox.confirmation_link(address)  # read from the SMTP sink, as the person's mail client would
        (asked,) = mailbox.to(address)  # the mail's own words in the reader's language, as the page's were
        assert asked["Content-Language"] == "vi"
        assert asked["Subject"].startswith("Vui lòng xác nhận địa chỉ email: ")
        head = re.split(rb"\r?\n\r?\n", mailbox.raw(asked["Message-ID"]), maxsplit=1)[0]
        assert head.isascii() and b"=?utf-8?" in head.lower()  # RFC 2047 words, for readers that do not decode
        page.goto(link)
        page.get_by_role("button").click()
        check("address confirmed")

        page.goto(manage)
        assert page.inner_text(".status").strip() == "Chỗ của bạn đã được xác nhận."
        assert "Tiếng Việt" in page.inner_text("dl.facts")  # the interpretation asked for
        page.get_by_role("button", name="Hủy đăng ký của tôi").click()
        assert page.inner_text(".status").strip() == "Đăng ký này đã bị hủy."
        check("cancelled")

    checks.assert_passed()
    (registration,) = [r for r in gateway.http.get(f"/events/{event['id']}/registrations").json()
                       if r["email"] == address]
    assert registration["status"] == "cancelled"
    assert registration["attendees"][0]["needs"]["interpretation"] == [{"source": "ja", "target": "vi"}]
