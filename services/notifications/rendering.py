"""Turns a message's context into subject and body in one recipient's language.

A template file is the subject on its first line and the body on the lines after it.
Languages fall back requested → ja → en, for the template and for the organizer's text alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notifications import domain
from shared.i18n import choose_language, choose_text

TEMPLATES = Path(__file__).parent / "templates"

KIND_LABELS = {
    "ja": {"national_forum": "全国フォーラム", "workshop": "ワークショップ", "migrants_day": "国際移住者デー",
           "symposium": "シンポジウム", "working_meeting": "会議", "negotiation": "省庁交渉", "other": "おしらせ"},
    "en": {"national_forum": "National Forum", "workshop": "Workshop", "migrants_day": "Migrants Day",
           "symposium": "Symposium", "working_meeting": "Working meeting", "negotiation": "Negotiation",
           "other": "Announcement"},
}
GREETINGS = {"ja": "{name} 様", "ja-x-easy": "{name} さん", "en": "Dear {name},"}
GREETINGS_ANONYMOUS = {"ja": "登録者の皆さま", "ja-x-easy": "みなさん", "en": "Dear subscriber,"}


@dataclass(frozen=True)
class RenderedMail:
    language: str
    subject: str
    body: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Plain-text mail: no HTML escaping, but every variable must exist.
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def template_languages(template: str) -> list[str]:
    return sorted(p.parent.name for p in TEMPLATES.glob(f"*/{template}.txt"))


def render_event_announcement(event: dict, list_name: dict, recipient_name: str | None,
                              recipient_language: str, event_url: str) -> RenderedMail:
    language = choose_language(template_languages("event_announcement"), recipient_language) or "en"
    text_language = "ja" if language.startswith("ja") else "en"
    venue = event.get("venue") or {}
    place = ", ".join(part for part in (venue.get("name"), venue.get("address") or event.get("city")) if part)
    greeting = (GREETINGS.get(language, GREETINGS["en"]).format(name=recipient_name) if recipient_name
                else GREETINGS_ANONYMOUS.get(language, GREETINGS_ANONYMOUS["en"]))
    text = _environment().get_template(f"{language}/event_announcement.txt").render(
        title=choose_text(event["title"], recipient_language),
        description=choose_text(event.get("description") or {}, recipient_language),
        kind_label=KIND_LABELS[text_language].get(event["kind"], event["kind"]),
        when=domain.format_when(datetime.fromisoformat(event["starts_at"]),
                                datetime.fromisoformat(event["ends_at"]), event["timezone"], language),
        place=place, url=event_url, greeting=greeting,
        list_name=choose_text(list_name, recipient_language))
    subject, _, body = text.partition("\n")
    return RenderedMail(language=language, subject=subject.strip(), body=body.lstrip("\n"))
