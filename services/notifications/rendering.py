"""Turns a message's context into subject and body in one recipient's language.

A template file is the subject on its first line and the body on the lines after it, its words in
`{% trans %}` blocks that the catalogues translate (shared/locale, the same as the pages'). A mail is
written in the recipient's language when its catalogue says every word of that kind of mail; else in
the next language of their chain (vi → ja → en), never half in one and half in another. The organizer's
own text (titles, descriptions) falls back the same way, on its own.
"""
from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from babel.messages.extract import extract
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notifications import domain
from services.notifications.words import ANNOUNCED_KIND_NAMES, MAIL_WORDS, REGISTRATION_NEWS
from shared import calendars
from shared.catalogues import SOURCE_LANGUAGE, Catalogues, translated
from shared.contracts.events import Venue
from shared.contracts.vocabulary import EventKind
from shared.i18n import choose_language, choose_text, language_chain, supported_language

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedMail:
    language: str
    subject: str
    body: str


@cache
def _catalogues() -> Catalogues:
    return Catalogues()


@cache
def _environment(language: str) -> Environment:
    # Plain-text mail: no HTML escaping, but every variable must exist.
    environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False, undefined=StrictUndefined,
                              keep_trailing_newline=True, extensions=["jinja2.ext.i18n"])
    # added by jinja2.ext.i18n, which type checkers do not see
    cast(Any, environment).install_gettext_translations(translations(language), newstyle=True)
    return environment


def translations(language: str) -> gettext.NullTranslations:
    """`language`'s words, each falling back along its chain."""
    return _catalogues().translations(language)


@cache
def template_words(template: str) -> frozenset[str]:
    """Every message id a kind of mail may show: its template's (and the greeting's) and the words
    the code passes it. A kind without a template (the organizer's own text) has only the latter."""
    words = set(MAIL_WORDS)
    if not (TEMPLATES / f"{template}.txt").is_file():
        return frozenset(words)
    for name in (f"{template}.txt", "_greeting.txt"):
        with (TEMPLATES / name).open("rb") as source:
            words.update(message for _, message, _, _ in extract(
                "jinja2.ext:babel_extract", source, options={"trimmed": "false"}) if isinstance(message, str))
    return frozenset(words)


@lru_cache(maxsize=1024)  # asked for every mail: the answer depends on the kind and the reader's tag alone
def mail_language(template: str, wanted: str | None) -> str:
    """The first language of the recipient's chain whose catalogue says every word of this kind of mail."""
    chain = language_chain(supported_language(wanted or "") or wanted)
    needed = template_words(template)
    for tag in chain:
        if tag == SOURCE_LANGUAGE or needed <= translated(tag):
            return tag
    return SOURCE_LANGUAGE


def render(template: str, language: str, **variables) -> RenderedMail:
    """The mail in `language`, as mail_language chose it for the recipient."""
    text = _environment(language).get_template(f"{template}.txt").render(**variables)
    subject, _, body = text.partition("\n")
    return RenderedMail(language=language, subject=subject.strip(), body=body.lstrip("\n"))


def _place(event: dict) -> str:
    """The same words as the calendar entry's LOCATION (an online-only event: its link)."""
    return calendars.where(Venue.model_validate(event["venue"]) if event.get("venue") else None, event.get("city"))


def _when(event: dict, language: str) -> str:
    return domain.format_when(datetime.fromisoformat(event["starts_at"]), datetime.fromisoformat(event["ends_at"]),
                              event["timezone"], language)


def render_event_announcement(template: str, event: dict, list_name: dict, recipient_name: str | None,
                              recipient_language: str, event_url: str) -> RenderedMail:
    language = mail_language(template, recipient_language)
    return render(template, language, recipient_name=recipient_name,
                  title=choose_text(event["title"], recipient_language),
                  description=choose_text(event.get("description") or {}, recipient_language),
                  kind_name=ANNOUNCED_KIND_NAMES[EventKind(event["kind"])],
                  when=_when(event, language), place=_place(event), url=event_url,
                  list_name=choose_text(list_name, recipient_language))


def render_registration_status(template: str, context: dict, recipient_name: str | None, recipient_language: str,
                               event_url: str, attached: bool) -> RenderedMail:
    language = mail_language(template, recipient_language)
    event = context["event"]
    label, sentence = REGISTRATION_NEWS[context["event_type"]]
    # approved, but the event filled up meanwhile: the waiting list's sentence too
    also = (REGISTRATION_NEWS["registration_waitlisted"][1]
            if context["event_type"] == "registration_approved" and context["status"] == "waitlisted" else None)
    return render(template, language, recipient_name=recipient_name, status_label=label,
                  status_text=sentence, also=also, title=choose_text(event["title"], recipient_language),
                  when=_when(event, language), place=_place(event), url=event_url,
                  registration_id=context["registration_id"][:8], places=context["places"], attached=attached)


def render_registration_confirm_address(template: str, context: dict, recipient_language: str,
                                        confirm_url: str) -> RenderedMail:
    # nobody's name: whoever registered typed the address, and no text of theirs goes to it unconfirmed
    language = mail_language(template, recipient_language)
    event = context["event"]
    hold = datetime.fromisoformat(context["hold_until"]).astimezone(ZoneInfo(event["timezone"]))
    return render(template, language, recipient_name=None,
                  title=choose_text(event["title"], recipient_language), when=_when(event, language),
                  place=_place(event), hold_until=f"{hold:%Y-%m-%d %H:%M} ({event['timezone']})",
                  confirm_url=confirm_url)


def render_subscription_confirm(template: str, list_name: dict, recipient_name: str | None, recipient_language: str,
                                confirm_url: str) -> RenderedMail:
    return render(template, mail_language(template, recipient_language), recipient_name=recipient_name,
                  list_name=choose_text(list_name, recipient_language), confirm_url=confirm_url)


def render_sign_in_link(template: str, recipient_language: str, sign_in_url: str) -> RenderedMail:
    # nobody's name: the request came from whoever typed the address, and no text of theirs is mailed
    return render(template, mail_language(template, recipient_language), recipient_name=None,
                  sign_in_url=sign_in_url)


def render_renewal_due(template: str, context: dict, recipient_language: str) -> RenderedMail:
    due = date.fromisoformat(context["renewal_due_on"])
    return render(template, mail_language(template, recipient_language), recipient_name=context.get("name"),
                  due=due.isoformat())


def render_list_announcement(_template: str, context: dict, recipient_language: str) -> RenderedMail:
    """The organizer's own text: no template file."""
    language = choose_language(context["body"].keys(), recipient_language) or "ja"
    return RenderedMail(language=language, subject=choose_text(context["subject"], recipient_language),
                        body=choose_text(context["body"], recipient_language))


def render_event_reminder(template: str, context: dict, recipient_name: str | None, recipient_language: str,
                          event_url: str) -> RenderedMail:
    language = mail_language(template, recipient_language)
    event = context["event"]
    return render(template, language, recipient_name=recipient_name,
                  title=choose_text(event["title"], recipient_language), when=_when(event, language),
                  place=_place(event), url=event_url)
