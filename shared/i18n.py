"""Languages: BCP 47 tags and the fallback chain every reader of `{language: text}` maps uses."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from babel import Locale, UnknownLocaleError

DEFAULT_CHAIN = ("ja", "en")
EASY_JAPANESE = "ja-x-easy"  # やさしい日本語

SUPPORTED_LANGUAGES = ("ja", EASY_JAPANESE, "en", "vi", "pt-BR", "tl", "ne", "zh-Hans", "ko", "es", "id", "my")
"""The languages a reader may ask for (feeds' `lang`): those of the people the network serves."""
# Other spellings browsers and people use for a supported language.
SYNONYMS = {"zh-CN": "zh-Hans", "zh-SG": "zh-Hans", "pt": "pt-BR", "fil": "tl"}

_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def is_language_tag(tag: str) -> bool:
    return len(tag) <= 35 and bool(_TAG.match(tag))


def normalise_tag(tag: str) -> str:
    """`pt-br` → `pt-BR`, `zh-hans` → `zh-Hans`, `JA` → `ja`; private-use subtags stay lower case."""
    parts = tag.strip().replace("_", "-").split("-")
    out = [parts[0].lower()]
    private = False
    for part in parts[1:]:
        if private or part.lower() == "x":
            private = True
            out.append(part.lower())
        elif len(part) == 2:
            out.append(part.upper())
        elif len(part) == 4:
            out.append(part.title())
        else:
            out.append(part.lower())
    return "-".join(out)


def _broader_forms(tag: str) -> list[str]:
    """`zh-Hans-CN` → zh-Hans-CN, zh-Hans, zh; `ja-x-easy` → ja-x-easy, ja."""
    parts = normalise_tag(tag).split("-")
    return ["-".join(parts[:end]) for end in range(len(parts), 0, -1) if parts[end - 1] != "x"]


def supported_language(tag: str) -> str | None:
    """The supported language a reader asking for `tag` gets: the tag or its nearest broader form that is
    supported (`en-GB` → en, `ja-JP` → ja, `zh-CN` → zh-Hans); None when there is none (`zh-TW`, `fr`)."""
    if not is_language_tag(tag):
        return None
    for form in _broader_forms(tag):
        form = SYNONYMS.get(form, form)
        if form in SUPPORTED_LANGUAGES:
            return form
    return None


def language_chain(wanted: str | None) -> list[str]:
    """Requested tag, then its broader forms (`pt-BR` → `pt`), then Japanese, then English."""
    chain: list[str] = _broader_forms(wanted) if wanted else []
    for tag in DEFAULT_CHAIN:
        if tag not in chain:
            chain.append(tag)
    return chain


def choose_language(available: Iterable[str], wanted: str | None) -> str | None:
    """The first language of the chain that `available` has; else any available one, else None."""
    available = list(available)
    for tag in language_chain(wanted):
        if tag in available:
            return tag
    return available[0] if available else None


def choose_text(texts: Mapping[str, str], wanted: str | None) -> str:
    tag = choose_language(texts.keys(), wanted)
    return texts[tag] if tag else ""


# Babel's name for the locale whose dates and numbers a language's readers expect.
BABEL_LOCALES = {EASY_JAPANESE: "ja", "tl": "fil", "zh-Hans": "zh_Hans", "pt-BR": "pt_BR"}


@lru_cache(maxsize=64)
def babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(BABEL_LOCALES.get(language, language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")
