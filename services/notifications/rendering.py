"""Turns a message's context into subject and body in one recipient's language.

A template file is the subject on its first line and the body on the lines after it. Languages fall
back requested → ja → en, for the template and for the organizer's text alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notifications import domain
from shared import calendars
from shared.contracts.events import Venue
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

# What each registration event tells its registrant: (label, sentence) per language.
REGISTRATION_STATUS = {
    "registration_confirmed": {
        "ja": ("参加登録完了",
                   "参加登録を受け付けました。当日お会いできるのを楽しみにしています。"),
        "en": ("Registered", "Your registration is confirmed. We look forward to seeing you."),
        "ja-x-easy": ("とうろく できました", "さんか の とうろく が できました。"),
    },
    "registration_waitlisted": {
        "ja": ("キャンセル待ち",
                   "定員に達したため、キャンセル待ちとして受け付けました。空きが出しだいお知らせします。"),
        "en": ("Waiting list",
                   "The event is full: you are on the waiting list. We will write as soon as a place frees up."),
        "ja-x-easy": ("まって います",
                   "いっぱい です。せき が あいたら しらせます。"),
    },
    "registration_promoted": {
        "ja": ("参加確定", "空きが出たため、キャンセル待ちから参加が確定しました。"),
        "en": ("You have a place", "A place freed up: your registration is now confirmed."),
        "ja-x-easy": ("さんか できます", "せき が あきました。さんか できます。"),
    },
    "registration_pending": {
        "ja": ("承認待ち", "お申し込みを受け付けました。主催者の承認をお待ちください。"),
        "en": ("Awaiting approval",
                   "We received your registration; the organizers will confirm it."),
        "ja-x-easy": ("まって ください",
                   "もうしこみ を うけとりました。しゅさいしゃ の へんじ を まって ください。"),
    },
    "registration_approved": {
        "ja": ("承認されました", "お申し込みが承認されました。"),
        "en": ("Approved", "The organizers approved your registration."),
        "ja-x-easy": ("OK です", "もうしこみ が OK に なりました。"),
    },
    "registration_rejected": {
        "ja": ("お申し込みについて",
                   "申し訳ありませんが、今回はお申し込みをお受けできませんでした。"),
        "en": ("About your registration",
                   "We are sorry: the organizers could not accept your registration this time."),
        "ja-x-easy": ("ごめんなさい",
                   "ごめんなさい。こんかい は さんか できません。"),
    },
    "registration_cancelled": {
        "ja": ("キャンセル", "参加登録をキャンセルしました。"),
        "en": ("Cancelled", "Your registration has been cancelled."),
        "ja-x-easy": ("キャンセル しました",
                   "さんか の とうろく を キャンセル しました。"),
    },
}


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


@lru_cache(maxsize=64)
def template_languages(template: str) -> tuple[str, ...]:
    return tuple(sorted(p.parent.name for p in TEMPLATES.glob(f"*/{template}.txt")))


def greeting(language: str, name: str | None) -> str:
    if name:
        return GREETINGS.get(language, GREETINGS["en"]).format(name=name)
    return GREETINGS_ANONYMOUS.get(language, GREETINGS_ANONYMOUS["en"])


def render(template: str, wanted_language: str, **variables) -> RenderedMail:
    language = choose_language(template_languages(template), wanted_language) or "en"
    text = _environment().get_template(f"{language}/{template}.txt").render(
        greeting=greeting(language, variables.pop("recipient_name", None)), **variables)
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
    language = choose_language(template_languages(template), recipient_language) or "en"
    text_language = "ja" if language.startswith("ja") else "en"
    return render(template, recipient_language, recipient_name=recipient_name,
                  title=choose_text(event["title"], recipient_language),
                  description=choose_text(event.get("description") or {}, recipient_language),
                  kind_label=KIND_LABELS[text_language].get(event["kind"], event["kind"]),
                  when=_when(event, language), place=_place(event), url=event_url,
                  list_name=choose_text(list_name, recipient_language))


def render_registration_status(template: str, context: dict, recipient_name: str | None, recipient_language: str,
                               event_url: str, attached: bool) -> RenderedMail:
    language = choose_language(template_languages(template), recipient_language) or "en"
    event = context["event"]
    label, sentence = REGISTRATION_STATUS[context["event_type"]].get(
        language, REGISTRATION_STATUS[context["event_type"]]["en"])
    if context["event_type"] == "registration_approved" and context["status"] == "waitlisted":
        sentence += " " + REGISTRATION_STATUS["registration_waitlisted"].get(language, ("", ""))[1]
    return render(template, recipient_language, recipient_name=recipient_name, status_label=label,
                  status_text=sentence, title=choose_text(event["title"], recipient_language),
                  when=_when(event, language), place=_place(event), url=event_url,
                  registration_id=context["registration_id"][:8], places=context["places"], attached=attached)


def render_registration_confirm_address(template: str, context: dict, recipient_language: str,
                                        confirm_url: str) -> RenderedMail:
    # nobody's name: whoever registered typed the address, and no text of theirs goes to it unconfirmed
    language = choose_language(template_languages(template), recipient_language) or "en"
    event = context["event"]
    hold = datetime.fromisoformat(context["hold_until"]).astimezone(ZoneInfo(event["timezone"]))
    return render(template, recipient_language, recipient_name=None,
                  title=choose_text(event["title"], recipient_language), when=_when(event, language),
                  place=_place(event), hold_until=f"{hold:%Y-%m-%d %H:%M} ({event['timezone']})",
                  confirm_url=confirm_url)


def render_subscription_confirm(template: str, list_name: dict, recipient_name: str | None, recipient_language: str,
                                confirm_url: str) -> RenderedMail:
    return render(template, recipient_language, recipient_name=recipient_name,
                  list_name=choose_text(list_name, recipient_language), confirm_url=confirm_url)


def render_sign_in_link(template: str, recipient_language: str, sign_in_url: str) -> RenderedMail:
    # nobody's name: the request came from whoever typed the address, and no text of theirs is mailed
    return render(template, recipient_language, recipient_name=None, sign_in_url=sign_in_url)


def render_renewal_due(template: str, context: dict, recipient_language: str) -> RenderedMail:
    due = date.fromisoformat(context["renewal_due_on"])
    return render(template, recipient_language, recipient_name=context.get("name"), due=due.isoformat())


def render_list_announcement(_template: str, context: dict, recipient_language: str) -> RenderedMail:
    """The organizer's own text: no template file."""
    language = choose_language(context["body"].keys(), recipient_language) or "ja"
    return RenderedMail(language=language, subject=choose_text(context["subject"], recipient_language),
                        body=choose_text(context["body"], recipient_language))


def render_event_reminder(template: str, context: dict, recipient_name: str | None, recipient_language: str,
                          event_url: str) -> RenderedMail:
    language = choose_language(template_languages(template), recipient_language) or "en"
    event = context["event"]
    return render(template, recipient_language, recipient_name=recipient_name,
                  title=choose_text(event["title"], recipient_language), when=_when(event, language),
                  place=_place(event), url=event_url)
