"""The pages for people, without a browser: which language a reader gets, that the catalogues say every
string of the pages (with its placeholders) in the languages that claim to be complete and are in step
with the code, and what the gateway answers a browser and an API client at the same address."""
from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from services.gateway.web.languages import LANGUAGE_COOKIE, accepted
from shared.catalogues import COMPLETE, CONSOLE_COMPLETE, LOCALE_DIR, catalogue_path
from shared.settings import Settings
from shared.words import CONSOLE_WORDS
from tests.unit.gateway_fakes import DRAFT, FakeBus, FakeServices
from tsunagu import translations

KEY = "k" * 32
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture
def site():
    services = FakeServices()
    with TestClient(create_app(Settings(environment="test", secret_key=KEY), bus=FakeBus(services, KEY))) as client:
        event = services.events.create_event(DRAFT)
        services.events.events[event["id"]].update(status="published", published_at="2026-11-01T00:00:00+00:00")
        yield client, event["id"]


def html_lang(answer) -> str:
    found = re.search(r'<html lang="([^"]+)">', answer.text)
    assert found, answer.text[:200]
    return found.group(1)


def test_accept_language_is_read_by_its_q_values():
    assert accepted("vi-VN,vi;q=0.9,en;q=0.8") == ["vi-VN", "vi", "en"]
    assert accepted("en;q=0.5, pt-BR, *;q=0.1, fr;q=0") == ["pt-BR", "en"]
    assert accepted("ja;q=abc, ;;, ko") == ["ko"]  # an unreadable weight counts as not wanted


def test_the_language_comes_from_the_switcher_then_the_cookie_then_the_browser(site):
    client, event_id = site
    page = f"/event/{event_id}"
    assert html_lang(client.get(page, headers={"accept-language": "pt-BR,pt;q=0.9"})) == "pt-BR"
    assert html_lang(client.get(page, headers={"accept-language": "fr-FR, de"})) == "ja"  # nothing we speak
    chosen = client.get(page, params={"lang": "vi"}, headers={"accept-language": "ko"})
    assert html_lang(chosen) == "vi" and chosen.cookies.get(LANGUAGE_COOKIE) == "vi"
    assert html_lang(client.get(page, headers={"accept-language": "ko"})) == "vi"  # remembered
    easy = client.get(page, params={"lang": "ja-x-easy"})
    assert html_lang(easy) == "ja" and easy.headers["content-language"] == "ja-x-easy"
    assert "申し込む" in easy.text  # やさしい日本語, though screen readers are told "ja"


def test_a_browser_gets_the_home_page_and_an_api_client_the_index(site):
    client, event_id = site
    browser = client.get("/", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.headers["content-type"].startswith("text/html") and "<main" in browser.text
    assert f'href="/event/{event_id}"' in browser.text and "ワークショップ" in browser.text
    other_region = client.get("/", params={"region": "kanto"}, headers={"accept": "text/html"})
    assert f'href="/event/{event_id}"' not in other_region.text
    assert "script-src 'self'" in browser.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in browser.headers["content-security-policy"]
    api = client.get("/", headers={"accept": "*/*"})
    assert api.json()["directory"] == "/directory"


def test_the_home_page_s_month_calendar_links_the_days_with_events_and_turns_the_months(site):
    client, event_id = site  # the workshop of 12 June 2027 (10:00 in Tokyo)
    june = client.get("/", params={"month": "2027-06"}, headers={"accept": "text/html", "accept-language": "en"})
    assert "June 2027" in june.text and '<a href="#day-2027-06-12">12</a>' in june.text
    assert 'id="day-2027-06-12"' in june.text and f'href="/event/{event_id}"' in june.text
    assert "month=2027-05" in june.text and "month=2027-07" in june.text
    assert june.text.index(">Sun<") < june.text.index(">Mon<")  # Sunday first, as calendars in Japan are
    july = client.get("/", params={"month": "2027-07"}, headers={"accept": "text/html", "accept-language": "ja"})
    assert "2027年7月" in july.text and "#day-2027-06-12" not in july.text
    odd = client.get("/", params={"month": "June"}, headers={"accept": "text/html"})
    assert odd.status_code == 200  # an unreadable month is this month's calendar, not an error


def test_every_form_carries_a_token_and_a_post_without_it_is_refused(site):
    client, event_id = site
    page = client.get(f"/event/{event_id}")
    assert re.search(r'name="form_token" value="[0-9a-f]{64}"', page.text)
    refused = client.post(f"/event/{event_id}/register", data={"display_name": "A", "email": "a@example.org"})
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert "did not come from a page of this site" in refused.json()["detail"]
    forged = client.post(f"/event/{event_id}/register", data={"form_token": "0" * 64, "display_name": "A"})
    assert forged.status_code == 403


def test_a_reader_who_only_reads_gets_no_cookie_and_a_form_s_page_its_token_s(site):
    client, event_id = site
    assert "set-cookie" not in client.get("/", headers={"accept": "text/html"}).headers
    assert "set-cookie" not in client.get("/groups").headers
    form_page = client.get(f"/event/{event_id}")
    assert "tsunagu_form=" in form_page.headers["set-cookie"] and "samesite=strict" in form_page.headers["set-cookie"].lower()


def test_an_event_that_has_ended_or_has_closed_registration_offers_no_form(site):
    client, event_id = site
    services = client.app.state.bus._services
    open_page = client.get(f"/event/{event_id}", headers={"accept-language": "en"})
    assert 'name="display_name"' in open_page.text
    services.events.events[event_id].update(starts_at="2020-06-01T01:00:00+00:00", ends_at="2020-06-01T08:00:00+00:00")
    ended = client.get(f"/event/{event_id}", headers={"accept-language": "en"})
    assert "Registration is closed." in ended.text and 'name="display_name"' not in ended.text
    services.events.events[event_id].update(starts_at="2030-06-01T01:00:00+00:00", ends_at="2030-06-01T08:00:00+00:00",
                                            registration_opens_at="2030-01-01T00:00:00+00:00")
    soon = client.get(f"/event/{event_id}", headers={"accept-language": "en"})
    assert "Registration opens on" in soon.text and "2030" in soon.text and 'name="display_name"' not in soon.text


def test_an_event_s_page_is_rendered_once_for_many_readers_each_with_their_own_form_token(site):
    client, event_id = site
    services = client.app.state.bus._services
    services.events.events[event_id].update(capacity=40, places_left=40)
    tokens = set()
    for _ in range(3):
        client.cookies.clear()  # another reader each time
        page = client.get(f"/event/{event_id}", headers={"accept-language": "en"})
        tokens.add(re.search(r'name="form_token" value="([^"]+)"', page.text).group(1))
        assert "\x00" not in page.text and ">40<" in page.text.replace("\n", "").replace(" ", "")
    assert len(tokens) == 3 and all(len(token) == 64 for token in tokens)
    assert len(client.app.state.pages._kept) == 1  # rendered once
    services.events.events[event_id].update(confirmed_places=39, places_left=1)  # a registration: it changes
    fuller = client.get(f"/event/{event_id}", headers={"accept-language": "en"})
    assert ">1<" in fuller.text.replace("\n", "").replace(" ", "") and len(client.app.state.pages._kept) == 2


class FakeLists:
    def __init__(self):
        self.subscribed: list[tuple[str, dict]] = []

    def public_lists(self):
        return [{"slug": "general", "name": {"ja": "全体"}, "description": {}}]

    def subscribe(self, slug, request):
        self.subscribed.append((slug, request))


def test_the_lists_page_says_each_refusal_beside_its_field_and_subscribes_only_a_sound_request(site):
    client, _ = site
    lists = client.app.state.bus._services.notifications = FakeLists()
    page = client.get("/subscribe", headers={"accept-language": "en"})
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
    refused = client.post("/subscribe", headers={"accept-language": "en"},
                          data={"form_token": token, "email": "not an address", "name": "x" * 500})
    assert refused.status_code == 422 and lists.subscribed == []
    assert 'id="email-error">This is not an e-mail address.' in refused.text
    assert 'id="name-error">This is too long.' in refused.text and 'id="lists-error">Choose at least one list.' in refused.text
    sent = client.post("/subscribe", data={"form_token": token, "email": "an@example.org", "lists": ["general", "nope"],
                                           "language": "vi"})
    assert sent.status_code == 200 and lists.subscribed == [("general", {"email": "an@example.org", "language": "vi",
                                                                         "name": None})]


def test_an_unknown_event_is_a_page_that_says_so(site):
    client, _ = site
    answer = client.get("/event/no-such-event", headers={"accept-language": "vi"})
    assert answer.status_code == 404 and "Không tìm thấy" in answer.text


def test_what_an_organizer_typed_is_escaped(site):
    client, event_id = site
    services = client.app.state.bus._services  # the fake services behind the fake bus
    services.events.events[event_id]["title"] = {"ja": "<script>alert(1)</script>"}
    answer = client.get(f"/event/{event_id}")
    assert "<script>alert(1)</script>" not in answer.text and "&lt;script&gt;" in answer.text


def test_the_catalogues_are_in_step_with_the_code():
    stale = [path for path, content in translations.outputs().items()
             if translations._without_dates(path.read_bytes()) != translations._without_dates(content)]
    assert stale == [], "run make translations"


def for_organizers_only(message) -> bool:
    """A string only the organizers' console shows (its templates and routes, the events' states)."""
    return message.id in CONSOLE_WORDS or all("console" in path for path, _ in message.locations)


@pytest.mark.parametrize("language", COMPLETE)
def test_a_complete_catalogue_says_every_string_with_its_placeholders(language):
    with (LOCALE_DIR / "messages.pot").open("rb") as template:
        wanted = [message.id for message in read_po(template) if message.id
                  and (language in CONSOLE_COMPLETE or not for_organizers_only(message))]
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po)
    missing = [msgid for msgid in wanted if not catalog.get(msgid) or not catalog[msgid].string
               or catalog[msgid].fuzzy]
    assert missing == []
    for msgid in wanted:
        assert set(PLACEHOLDER.findall(catalog[msgid].string)) == set(PLACEHOLDER.findall(msgid)), msgid


def test_a_month_far_off_is_this_month_unless_the_page_looks_further():
    from datetime import date

    from services.gateway.web.month import month_of
    from services.gateway.web.schedule import YEARS_AROUND
    today = date(2026, 12, 6)
    assert month_of("2011-06", today) == date(2026, 12, 1)  # the public calendar: five years either way
    assert month_of("2011-06", today, YEARS_AROUND) == date(2011, 6, 1)  # the organizers' schedule: past Forums
    assert month_of("2011-13", today, YEARS_AROUND) == date(2026, 12, 1)
