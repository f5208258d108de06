"""The registration form of an event's page: what the person typed, kept to show again with each
error beside its field (RFC 9457's field names, as the API reports them)."""
from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError
from starlette.datastructures import FormData

from services.gateway.web.forms import posted_text
from shared.contracts.base import field_and_message
from shared.contracts.events import RegistrationRequest
from shared.errors import TsunaguError
from shared.words import N_

EVENT_LANGUAGE = "ja"  # what interpretation is from: the network's events are held in Japanese


# Why a field was refused, in words a template translates (pydantic's own words are for developers).
REASONS = {"missing": N_("Please fill this in."), "string_too_short": N_("Please fill this in."),
           "string_too_long": N_("This is too long."), "value_error": N_("Please check this."),
           "int_parsing": N_("Please write a number."), "greater_than_equal": N_("This number is too small."),
           "less_than_equal": N_("This number is too large."), "too_long": N_("Too many were chosen.")}
# Form field → the request field whose error it shows.
ERROR_FIELDS = {"display_name": "display_name", "email": "email", "needs.interpretation": "interpretation",
                "needs.sign_language": "sign_language", "needs.childcare": "childcare", "needs.note": "note",
                "session_ids": "session_ids"}


@dataclass
class RegistrationForm:
    language: str
    display_name: str = ""
    email: str = ""
    interpretation: str = ""
    sign_language: str = ""
    step_free_access: bool = False
    childcare: str = "0"
    note: str = ""
    session_ids: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # form field (or "" for the whole form) → why

    @classmethod
    def blank(cls, language: str) -> RegistrationForm:
        return cls(language=language)

    @classmethod
    def read(cls, data: FormData, language: str) -> RegistrationForm:
        def text(name: str) -> str:
            return posted_text(data, name)
        return cls(language=language, display_name=text("display_name"), email=text("email"),
                   interpretation=text("interpretation"), sign_language=text("sign_language"),
                   step_free_access=text("step_free_access") == "yes", childcare=text("childcare") or "0",
                   note=text("note"), session_ids=[v for v in data.getlist("session_ids") if isinstance(v, str)])

    def request(self) -> RegistrationRequest:
        needs = {"interpretation": ([{"source": EVENT_LANGUAGE, "target": self.interpretation}]
                                    if self.interpretation and self.interpretation != EVENT_LANGUAGE else []),
                 "sign_language": self.sign_language or None, "step_free_access": self.step_free_access,
                 "childcare": self.childcare, "note": self.note or None}
        return RegistrationRequest.model_validate({
            "kind": "individual", "display_name": self.display_name, "email": self.email, "language": self.language,
            "session_ids": self.session_ids, "needs": needs})

    def explain(self, invalid: ValidationError) -> None:
        for error in invalid.errors():
            where, message = field_and_message(error["loc"], error["msg"])
            self._add(where, REASONS.get(error["type"], message))

    def refused(self, refusal: TsunaguError) -> None:
        self._add(refusal.field, refusal.detail)

    def _add(self, where: str | None, message: str) -> None:
        name = next((form_field for prefix, form_field in ERROR_FIELDS.items()
                     if where and (where == prefix or where.startswith(prefix + "."))), "")
        self.errors.setdefault(name, message)
