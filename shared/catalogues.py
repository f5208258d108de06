"""The gettext catalogues of everything people read — the pages and the mail — read from
shared/locale/<language>/messages.po when the gateway or the notifications service starts.

Message ids are English; Japanese is a catalogue like the others and the one every other falls back
to (shared.i18n.language_chain: vi → ja), so a string not yet translated into Vietnamese is read in
Japanese, never as a blank; English needs no catalogue of its own. `make translations` extracts the
strings from the code and templates into messages.pot and merges them into each catalogue
(tsunagu/translations.py); the .po files are what translators edit and what is read here — no compiled
file to keep in step."""
from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from itertools import takewhile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from shared.i18n import SUPPORTED_LANGUAGES, language_chain

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"
CATALOGUE = "messages.po"
# The languages whose catalogues say every string of the public pages and of the mail (a unit test holds
# them to it): all but English (the message ids) and Burmese (to come; until then its readers get Japanese);
# and those that say the organizers' console's too.
COMPLETE = tuple(language for language in SUPPORTED_LANGUAGES if language not in (SOURCE_LANGUAGE, "my"))
CONSOLE_COMPLETE = ("ja", "ja-x-easy")


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / CATALOGUE


@cache
def _catalog(language: str) -> Catalog | None:
    path = catalogue_path(language)
    if not path.is_file():
        return None
    with path.open("rb") as po:
        return read_po(po, locale=None)


@cache  # a catalogue stands in many chains (ja in all): read and compiled once
def _mo(language: str) -> bytes | None:
    catalog = _catalog(language)
    if catalog is None:
        return None
    mo = BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)  # a translation marked fuzzy (unsure) is not shown
    return mo.getvalue()


@cache
def translated(language: str) -> frozenset[str]:
    """The message ids `language`'s own catalogue translates (not fuzzy, not blank): what a reader of it
    reads in it rather than in a fallback. English translates every id (the ids are English)."""
    catalog = _catalog(language)
    if catalog is None:
        return frozenset()
    return frozenset(message.id for message in catalog
                     if message.id and message.string and not message.fuzzy and isinstance(message.id, str))


def _compiled(language: str) -> Translations | None:
    compiled = _mo(language)
    return Translations(BytesIO(compiled)) if compiled is not None else None


def _chained(language: str) -> gettext.NullTranslations:
    """`language`'s translations falling back along its chain; fresh objects (gettext chains in place)."""
    # English is what the message ids are written in: where the chain reaches it, the id itself is the text
    tags = takewhile(lambda tag: tag != SOURCE_LANGUAGE, language_chain(language))
    found = [translations for tag in tags if (translations := _compiled(tag)) is not None]
    if not found:
        return gettext.NullTranslations()
    for fallback in found[1:]:
        found[0].add_fallback(fallback)
    return found[0]


class Catalogues:
    """Every language's translations, built once."""

    def __init__(self) -> None:
        self._chains = {language: _chained(language) for language in SUPPORTED_LANGUAGES}

    def translations(self, language: str) -> gettext.NullTranslations:
        return self._chains[language]
