"""Keyboard only, in Chromium: the first Tab reaches "skip to the content", every control of the
registration form is reached in reading order and shows where the focus is, and the form is sent with
Enter — nobody needs a mouse or a touch screen to register."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.browser import PageChecks, phone
from tests.integration.conftest import Gateway

pytestmark = pytest.mark.browser
MOST_TABS = 60


def tab_to(page, wanted: str) -> list[str]:
    """Press Tab until the element matching `wanted` has the focus; what was passed on the way."""
    passed = []
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", wanted):
            return passed
        passed.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    raise AssertionError(f"{wanted} is not reached by Tab; passed {passed}")


def test_a_person_registers_with_the_keyboard_alone(stack):
    settings = stack.settings
    gateway, suffix = Gateway(settings), uuid.uuid4().hex[:6]
    event = gateway.new_event(kind="symposium", title={"ja": f"シンポジウム {suffix}"}, starts_at="2027-11-06T13:00:00",
                              ends_at="2027-11-06T17:00:00")
    assert gateway.publish(event["id"]).status_code == 200

    with phone(settings.gateway_url, locale="ja-JP") as (page, visits):
        checks = PageChecks(page, visits)
        page.goto(f"{settings.gateway_url}/event/{event['id']}")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"  # the first stop skips the menus
        page.keyboard.press("Enter")
        assert page.url.endswith("#main")
        tab_to(page, "#display_name")
        page.keyboard.type("キム")
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # seen
        tab_to(page, "#email")
        page.keyboard.type(f"kim-{suffix}@example.org")
        tab_to(page, "#interpretation")
        page.keyboard.press("ArrowDown")
        passed = tab_to(page, "form.registration button[type=submit]")
        assert passed[:4] == ["sign_language", "step_free_access", "childcare", "note"]  # reading order
        page.keyboard.press("Enter")
        assert "ありがとうございます" in page.locator("h1").inner_text()
        checks.check("registered by keyboard")
    checks.assert_passed()
    (registration,) = gateway.http.get(f"/events/{event['id']}/registrations").json()
    assert registration["display_name"] == "キム"
