"""Base classes of every message on the bus.

`Contract` is any payload (RPC argument or result); `Event` is a fact that happened, with the envelope
every consumer relies on: `event_id` (unique, the idempotency key), `occurred_at` (UTC) and
`schema_version` (raised when a field changes meaning or disappears; adding an optional field is not a
new version).
"""
from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, ClassVar, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)

from shared.errors import Invalid
from shared.i18n import is_language_tag, normalise_tag

C = TypeVar("C", bound=BaseModel)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Contract(BaseModel):
    # hide_input_in_errors: a validation error's text (logged, dead-lettered) says what is wrong, never
    # the value sent — it may be someone's address or name.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    def to_wire(self) -> dict:
        """JSON-safe dict: what goes on the bus (never datetimes or enums, whatever the serializer does)."""
        return self.model_dump(mode="json")


_NAMED_FIELD = re.compile(r"^([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)


def patch_of(name: str, doc: str, *drafts: type[Contract], leave_out: frozenset[str] = frozenset()) -> type[Contract]:
    """The contract of a change: every field of the drafts (the last draft's wins), each one optional
    but with the draft's own rules, so a field sent is checked as on creation and a field left out
    stays. Rules across fields are checked by the service on the changed draft as a whole."""
    fields: dict = {}
    for draft in drafts:
        for field_name, info in draft.model_fields.items():
            if field_name not in leave_out:
                rules = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
                fields[field_name] = (rules, Field(None, description=info.description))
    return create_model(name, __base__=Contract, __doc__=doc, **fields)


def field_and_message(location: tuple, message: str) -> tuple[str | None, str]:
    """Where an error is and what it says. Rules across fields raise "field: why" from a model
    validator (whose location is the model itself); the field is taken from that prefix."""
    message = message.removeprefix("Value error, ")
    parts = [str(part) for part in location]
    named = _NAMED_FIELD.match(message)
    if named:
        parts.append(named.group(1))
        message = named.group(2)
    return (".".join(parts) or None), message


def parse_contract(model: type[C], data) -> C:
    """`data` as `model`, or Invalid naming the first offending field and why."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field, message = field_and_message(error["loc"], error["msg"])
        raise Invalid(message, field) from None


class Event(Contract):
    event_type: ClassVar[str]
    source: ClassVar[str]  # the service that publishes it (its nameko name)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=utcnow)
    schema_version: int = 1
    # The request that caused it (shared.correlation): its consumers and the mail it leads to log it too
    correlation_id: str | None = Field(None, max_length=128)


def _language_map(value: dict[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for tag, text in value.items():
        if not is_language_tag(tag):
            raise ValueError(f"{tag[:40]!r} is not a language tag (use BCP 47: ja, en, vi, pt-BR, ja-x-easy…)")
        text = text.strip()
        if text:
            cleaned[normalise_tag(tag)] = text
    return cleaned


def _non_empty(value: dict[str, str]) -> dict[str, str]:
    if not value:
        raise ValueError("needs the text in at least one language, e.g. {\"ja\": \"…\"}")
    return value


LanguageTag = Annotated[str, AfterValidator(lambda t: _checked_tag(t))]


def _checked_tag(tag: str) -> str:
    if not is_language_tag(tag):
        raise ValueError(f"{tag[:40]!r} is not a language tag (use BCP 47: ja, en, vi, pt-BR, ja-x-easy…)")
    return normalise_tag(tag)


LocalizedText = Annotated[dict[str, str], AfterValidator(_language_map)]
"""Text an organizer writes, per language: {"ja": "…", "en": "…"}; empty strings are dropped."""

RequiredLocalizedText = Annotated[dict[str, str], AfterValidator(_language_map), AfterValidator(_non_empty)]


# --- bounds: what a person could mean, and what every part (SQLite, PostgreSQL, datetime) can hold ---

EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2200, 12, 31)


def _plausible_day(value: datetime | date | None) -> datetime | date | None:
    # The day as written (a datetime's own local day): converting year 1 or 9999 to UTC first would overflow.
    day = value.date() if isinstance(value, datetime) else value
    if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"must fall between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


PlausibleMoment = Annotated[datetime, AfterValidator(_plausible_day)]
PlausibleDay = Annotated[date, AfterValidator(_plausible_day)]
PlausibleMomentOrDay = Annotated[datetime | date, AfterValidator(_plausible_day)]
"""A time or (for whole-day events) a date between EARLIEST_DAY and LATEST_DAY."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _one_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must be one line, without line breaks, tabs or control characters")
    return value


def _lines(value: str) -> str:
    value = value.replace("\r\n", "\n")  # what a browser's textarea sends
    if _CONTROL_BUT_LINE_BREAKS.search(value):
        raise ValueError("must not contain control characters (line breaks and tabs are fine)")
    return value


def one_line(max_length: int):
    """A name, a title, a place: one line of at most `max_length` characters."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_one_line)]


def lines(max_length: int):
    """Free text (a description, a note): line breaks allowed, at most `max_length` characters."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_lines)]


MAX_LANGUAGES = 20


def localized(text, required: bool = False):
    """`{language: text}` of at most MAX_LANGUAGES languages, each text of the type `text`
    (`one_line(n)` or `lines(n)`). The bounded counterpart of LocalizedText."""
    checks = [AfterValidator(_language_map), *([AfterValidator(_non_empty)] if required else [])]
    return Annotated[dict[str, text], Field(max_length=MAX_LANGUAGES), *checks]


SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
_SLUG = re.compile(SLUG_PATTERN)


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"{value[:70]!r} is not a slug: lower-case letters, digits and hyphens, at most 63")
    return value


Slug = Annotated[str, BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
                 AfterValidator(_slug)]
"""A name in URLs and filters (a series, a thematic network): lower-case letters, digits and hyphens, at
most 63; surrounding spaces and capitals are forgiven."""
