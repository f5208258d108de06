"""Base classes of every message on the bus.

`Contract` is any payload (RPC argument or result); `Event` is a fact that happened, with the envelope
every consumer relies on: `event_id` (unique, the idempotency key), `occurred_at` (UTC) and
`schema_version` (raised when a field changes meaning or disappears; adding an optional field is not a
new version).
"""
from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime, timezone
from functools import partial
from typing import Annotated, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from shared.errors import Invalid

from shared.i18n import is_language_tag, normalise_tag

C = TypeVar("C", bound=BaseModel)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_wire(self) -> dict:
        """JSON-safe dict: what goes on the bus (never datetimes or enums, whatever the serializer does)."""
        return self.model_dump(mode="json")


_NAMED_FIELD = re.compile(r"^([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)


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


def _language_map(value: dict[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for tag, text in value.items():
        if not is_language_tag(tag):
            raise ValueError(f"{tag!r} is not a language tag (use BCP 47: ja, en, vi, pt-BR, ja-x-easy…)")
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
        raise ValueError(f"{tag!r} is not a language tag (use BCP 47: ja, en, vi, pt-BR, ja-x-easy…)")
    return normalise_tag(tag)


LocalizedText = Annotated[dict[str, str], AfterValidator(_language_map)]
"""Text an organizer writes, per language: {"ja": "…", "en": "…"}; empty strings are dropped."""

RequiredLocalizedText = Annotated[dict[str, str], AfterValidator(_language_map), AfterValidator(_non_empty)]


# --- text with a documented maximum -----------------------------------------------------------------

MAX_LANGUAGES = 20      # languages one text may be written in: more than the network reads, far fewer than a flood
MAX_TAG_LENGTH = 35     # the longest BCP 47 tag worth keeping (RFC 5646 §4.4.1 advises 35)


def _readable(text: str, single_line: bool) -> str:
    """Text a person wrote: no control characters, which no mail header and not every database can
    carry; line breaks and tabs only in texts of several lines."""
    for ch in text:
        if single_line and ch in "\n\r\u2028\u2029":
            raise ValueError("must be a single line")
        if unicodedata.category(ch) == "Cc" and (single_line or ch not in "\t\n\r"):
            raise ValueError(f"contains a control character (U+{ord(ch):04X})")
    return text


def plain_text(max_length: int, *, single_line: bool = True):
    """A text field of at most `max_length` characters (a single line unless told otherwise)."""
    return Annotated[str, StringConstraints(max_length=max_length),
                     AfterValidator(partial(_readable, single_line=single_line))]


BoundedLanguageTag = Annotated[str, StringConstraints(max_length=MAX_TAG_LENGTH), AfterValidator(_checked_tag)]


def bounded_localized_text(max_length: int, *, single_line: bool = False, required: bool = False):
    """LocalizedText with limits: at most MAX_LANGUAGES languages, each text at most `max_length`
    characters (and on one line if `single_line`)."""
    text = plain_text(max_length, single_line=single_line)
    key = Annotated[str, StringConstraints(max_length=MAX_TAG_LENGTH)]
    checks = [AfterValidator(_language_map), *([AfterValidator(_non_empty)] if required else [])]
    return Annotated[dict[key, text], Field(max_length=MAX_LANGUAGES), *checks]
