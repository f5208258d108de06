"""`make screenshots`: the pages for people as a phone (375 px) and a laptop (1280 px) show them, with the
demo data, saved under docs/screenshots/ (README shows some). Each is taken on the real stack in Debian's
chromium, and each page passes the same checks as in the tests before it is kept.

    python -m tests.integration.screenshots
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from shared.contracts.identity import sign_in_url
from shared.rpc import RpcPool
from tests.conftest import ROOT
from tests.integration.browser import CHROMIUM, PHONE, Visits, axe_source, problems_of
from tests.integration.conftest import stack_settings
from tsunagu import demo
from tsunagu.stack import Stack

OUT = ROOT / "docs" / "screenshots"
LAPTOP = {"width": 1280, "height": 800}


def pages(loaded: dict) -> list[tuple[str, str, str]]:
    """(file name, path, the browser's language)."""
    forum, workshop = loaded["events"][0], loaded["events"][1]
    return [("home-ja", "/", "ja-JP"), ("event-forum-ja", f"/event/{forum}", "ja-JP"),
            ("event-workshop-vi", f"/event/{workshop}", "vi-VN"),
            ("subscribe-easy-japanese", "/subscribe?lang=ja-x-easy", "ja-JP"), ("groups-en", "/groups", "en-US"),
            ("sign-in-pt", "/sign-in", "pt-BR")]


SECRETARIAT = "screenshots-secretariat@example.org"


def signed_in_pages(loaded: dict) -> list[tuple[str, str, str]]:
    """(file name, path, the browser's language) of the pages the secretariat sees signed in."""
    forum, group = loaded["events"][0], loaded["groups"][0]
    month = f"{demo.MIGRANTS_DAY['year']}-12"  # International Migrants Day: many cities on one day
    return [("console-ja", "/console", "ja-JP"), ("console-schedule-ja", f"/console/schedule?month={month}", "ja-JP"),
            ("console-event-ja", f"/console/events/{forum}", "ja-JP"),
            ("console-event-edit-ja", f"/console/events/{forum}/edit", "ja-JP"),
            ("console-members-ja", "/console/members", "ja-JP"),
            ("console-import-ja", "/console/members/import", "ja-JP"),
            ("console-list-en", f"/console/lists/{demo.GENERAL_LIST}", "en-US"),
            ("console-audit-en", "/console/audit", "en-US"), ("group-tl", f"/group/{group}", "tl-PH"),
            ("me-vi", "/me", "vi-VN")]


def _sign_in(page, pool: RpcPool, gateway_url: str) -> None:
    with pool.services() as rpc:
        link = sign_in_url(gateway_url, rpc.members.issue_sign_in_link(SECRETARIAT, "ja"))
    page.goto(link)
    page.get_by_role("button").click()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    axe, problems = axe_source(), []
    with tempfile.TemporaryDirectory(prefix="tsunagu-screenshots-") as var, Stack(stack_settings(Path(var))) as stack:
        settings = stack.settings
        pool = RpcPool.for_operator(settings)
        loaded = demo.load(pool)
        with pool.services() as rpc:
            rpc.members.add_account({"email": SECRETARIAT, "grants": [{"role": "secretariat"}]})
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            shown = [(page, False) for page in pages(loaded)] + [(page, True) for page in signed_in_pages(loaded)]
            for (name, path, locale), signed_in in shown:
                for width, viewport in (("375", PHONE), ("1280", LAPTOP)):
                    context = browser.new_context(viewport=viewport, locale=locale, is_mobile=width == "375")
                    page = context.new_page()
                    if signed_in:
                        _sign_in(page, pool, settings.gateway_url)
                    visits = Visits(settings.gateway_url.split("://")[1])
                    page.on("request", visits.on_request)
                    page.on("response", visits.on_response)
                    page.goto(settings.gateway_url + path)
                    if width == "375":
                        problems += [f"{name}: {found}" for found in problems_of(page, visits, axe)]
                    page.screenshot(path=str(OUT / f"{name}-{width}.png"), full_page=True)
                    context.close()
                    print(f"saved docs/screenshots/{name}-{width}.png")
            browser.close()
        pool.close()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
