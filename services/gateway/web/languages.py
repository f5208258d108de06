"""Which language a page is read in: `?lang=`, then the reader's earlier choice (a cookie, or the
language a subscriber chose for their mail), then what their browser asks for (Accept-Language, by its
q-values), then Japanese."""
from __future__ import annotations

from fastapi import Request

from shared.i18n import SUPPORTED_LANGUAGES, supported_language

DEFAULT_LANGUAGE = "ja"
LANGUAGE_COOKIE = "tsunagu_lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
# What the switcher shows: each language in its own words.
LANGUAGE_NAMES = {"ja": "日本語", "ja-x-easy": "やさしい日本語", "en": "English", "vi": "Tiếng Việt",
                  "pt-BR": "Português (Brasil)", "tl": "Tagalog", "ne": "नेपाली", "zh-Hans": "简体中文",
                  "ko": "한국어", "es": "Español", "id": "Bahasa Indonesia", "my": "မြန်မာ"}
assert set(LANGUAGE_NAMES) == set(SUPPORTED_LANGUAGES), "one name per supported language"
# `<html lang>` for each: a private-use tag is not understood by screen readers, the base language is.
HTML_LANG = {"ja-x-easy": "ja"}


def accepted(header: str) -> list[str]:
    """The languages of an Accept-Language header, most wanted first (RFC 9110 §12.5.4)."""
    ranked = []
    for position, item in enumerate(header.split(",")[:20]):
        tag, _, parameters = item.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def page_language(request: Request, theirs: str | None = None) -> str:
    """`theirs`: the language the page's reader chose before, when the page knows it (a subscriber's)."""
    for wanted in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE), theirs):
        if wanted and (language := supported_language(wanted)):
            return language
    for wanted in accepted(request.headers.get("accept-language", "")):
        if language := supported_language(wanted):
            return language
    return DEFAULT_LANGUAGE


def chosen_explicitly(request: Request) -> str | None:
    """The language the reader picked in the switcher (`?lang=`), to be remembered in the cookie."""
    wanted = request.query_params.get("lang")
    return supported_language(wanted) if wanted else None
