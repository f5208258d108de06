"""`make translations`: gather every string people read — the pages' and the mail's templates, and the
words marked N_ in the code — into shared/locale/messages.pot, and merge it into each language's
catalogue (shared/locale/<language>/messages.po), keeping what translators wrote. New strings arrive untranslated; a
changed one keeps its old translation marked fuzzy (not shown) until someone looks at it.

    python -m tsunagu.translations          extract and merge
    python -m tsunagu.translations --check  fail when the catalogues are not in step with the code
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract, extract_from_dir
from babel.messages.pofile import read_po, write_po

from shared.catalogues import LOCALE_DIR, SOURCE_LANGUAGE, catalogue_path
from shared.i18n import SUPPORTED_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
# Where people's words are written: the pages, the mail, and the words for the code's values.
SOURCES = ("services/gateway/web", "services/notifications", "shared/words.py")
TEMPLATE = LOCALE_DIR / "messages.pot"
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**/templates/**.txt", "jinja2.ext:babel_extract"),
           ("**.py", "python")]
# Pages trim a message's white space (HTML does not see it); mail keeps it (its lines are what is read).
OPTIONS = {"**/templates/**.html": {"trimmed": "true"}, "**/templates/**.txt": {"trimmed": "false"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
HEADER = ("Tsunagu's pages and mail. {review}\nThe message ids are English; placeholders like %(address)s stay as "
          "they are.")
REVIEWED = {"ja", "ja-x-easy"}


def _template() -> Catalog:
    catalog = Catalog(project="Tsunagu", version="1", charset="utf-8", fuzzy=False)
    for source in SOURCES:
        for filename, lineno, message, comments, context in _extracted(ROOT / source):
            catalog.add(message, None, [(source if filename is None else f"{source}/{filename}", lineno)],
                        auto_comments=comments, context=context)
    return catalog


def _extracted(source: Path):
    """(filename or None for a single file, line, message, comments, context) of every marked string."""
    if source.is_dir():
        yield from extract_from_dir(source, METHODS, keywords=KEYWORDS, options_map=OPTIONS)
        return
    with source.open("rb") as code:
        for lineno, message, comments, context in extract("python", code, keywords=KEYWORDS):
            yield None, lineno, message, comments, context


def _render(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=False, ignore_obsolete=True,
             include_previous=False)
    return out.getvalue()


def _merged(language: str, template: Catalog) -> Catalog:
    path = catalogue_path(language)
    if path.is_file():
        with path.open("rb") as po:
            catalog = read_po(po, locale=None)
    else:
        review = ("" if language in REVIEWED else
                  "This catalogue waits for review by a native speaker: each translation is a first draft.")
        catalog = Catalog(project="Tsunagu", version="1", charset="utf-8", fuzzy=False,
                          header_comment="# " + HEADER.format(review=review).replace("\n", "\n# "))
    catalog.locale = None  # ja-x-easy is no locale Babel knows; plural rules are not used by the pages
    catalog.update(template, no_fuzzy_matching=True)
    catalog.revision_date = catalog.creation_date  # no timestamp churn in diffs
    return catalog


def outputs() -> dict[Path, bytes]:
    template = _template()
    files = {TEMPLATE: _render(template)}
    for language in SUPPORTED_LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue  # the message ids are English
        files[catalogue_path(language)] = _render(_merged(language, template))
    return files


def _without_dates(content: bytes) -> bytes:
    dated = (b'"POT-Creation-Date', b'"PO-Revision-Date')
    return b"\n".join(line for line in content.splitlines() if not line.startswith(dated))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tsunagu.translations")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    args = parser.parse_args(argv)
    stale = []
    for path, content in outputs().items():
        current = path.read_bytes() if path.is_file() else b""
        if _without_dates(current) == _without_dates(content):
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    if args.check and stale:
        print("not in step with the code (run make translations):", *stale, sep="\n  ")
        return 1
    print(f"{'would change' if args.check else 'changed'}: {len(stale)} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
