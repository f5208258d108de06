"""A real browser for the pages: Debian's chromium driven by Playwright (launched by path: the browser
downloads Playwright normally makes are not needed), and the checks every page visited must pass —
axe-core's accessibility rules (no serious or critical violation), nothing wider than a 375 px phone,
tap targets of at least 44 px, no request to any other host, at most 100 KB transferred."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, Request, Response, sync_playwright

from tests.conftest import ROOT

CHROMIUM = Path("/usr/lib/chromium/chromium")  # Debian's chromium (deploy/local/bootstrap.sh test)
PHONE = {"width": 375, "height": 740}
MOST_BYTES = 100 * 1024
SMALLEST_TARGET = 44  # px, a finger's width
# What a finger taps: controls, and links that are not words inside running text.
TARGETS = ("button, select, textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), nav a, a.button, "
           "ul.events a, ul.cities a, .choice label")


def axe_source() -> str:
    found = sorted((ROOT / ".venv" / "share" / "axe-core").glob("*/axe.min.js"))
    assert found, "axe-core is installed by deploy/local/bootstrap.sh test"
    return found[-1].read_text()


@dataclass
class Visits:
    """What one browser tab fetched, to check against the gateway's own host."""

    host: str
    requests: list[str] = field(default_factory=list)
    bytes_by_page: dict[str, int] = field(default_factory=dict)
    current: str = ""

    def on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def on_response(self, response: Response) -> None:
        if response.request.is_navigation_request():
            self.current = response.url
        try:
            size = len(response.body())
        except Exception:  # noqa: BLE001 — a redirect has no body to count
            size = 0
        self.bytes_by_page[self.current] = self.bytes_by_page.get(self.current, 0) + size

    def elsewhere(self) -> list[str]:
        return [url for url in self.requests if urlsplit(url).scheme in ("http", "https", "ws", "wss")
                and urlsplit(url).netloc != self.host]


@contextmanager
def phone(gateway_url: str, locale: str = "ja-JP") -> Iterator[tuple[Page, Visits]]:
    """A phone-sized tab whose browser asks for `locale` first."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport=PHONE, locale=locale, has_touch=True, is_mobile=True)
            page = context.new_page()
            visits = Visits(urlsplit(gateway_url).netloc)
            page.on("request", visits.on_request)
            page.on("response", visits.on_response)
            yield page, visits
        finally:
            browser.close()


def problems_of(page: Page, visits: Visits, axe: str) -> list[str]:
    """Everything wrong with the page now shown, in words (empty: it passes)."""
    found = []
    page.evaluate(axe)  # evaluated by the driver, not a <script> the page's CSP would refuse
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [node["target"] for node in violation["nodes"]][:3]
            found.append(f"axe {violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        found.append(f"scrolls sideways: {width[0]} px wide in a {width[1]} px screen")
    small = page.evaluate("""([selector, least]) => [...document.querySelectorAll(selector)]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
        .filter(([_, r]) => r.height < least || r.width < least).map(([html, r]) => `${html} ${r.width}x${r.height}`)""",
                          [TARGETS, SMALLEST_TARGET])
    found += [f"tap target under {SMALLEST_TARGET} px: {what}" for what in small]
    found += [f"request to another host: {url}" for url in visits.elsewhere()]
    sent = visits.bytes_by_page.get(visits.current, 0)
    if sent > MOST_BYTES:
        found.append(f"{sent} bytes for {visits.current} (most: {MOST_BYTES})")
    if not page.evaluate("document.documentElement.lang"):
        found.append("no <html lang>")
    return found


class PageChecks:
    """`check(name)` after each page a scenario visits; `assert_passed()` at the end names every problem
    of every page at once."""

    def __init__(self, page: Page, visits: Visits):
        self.page, self.visits, self.axe = page, visits, axe_source()
        self.found: dict[str, list[str]] = {}

    def check(self, name: str) -> None:
        self.found[name] = problems_of(self.page, self.visits, self.axe)

    def assert_passed(self) -> None:
        failed = [f"{name}: {problem}" for name, problems in self.found.items() for problem in problems]
        assert not failed, "\n".join(failed)
