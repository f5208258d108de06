"""Every kind of mail the notifications service sends, each declared once: how it is rendered, whether
it is list mail (List-Id, List-Unsubscribe, Precedence) or transactional (Auto-Submitted), whether it
has an HTML part beside the plain text, and whether the event's .ics goes with it. A new kind of mail
is one entry here (and its template files)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from services.notifications import domain, rendering
from shared.contracts.events import REGISTRATION_CONFIRM_PURPOSE, RegistrationStatus, registration_confirm_url
from shared.contracts.identity import SIGN_IN_LINK_PURPOSE, sign_in_url
from shared.secrets import link_secret
from shared.settings import Settings

if TYPE_CHECKING:  # operations names these kinds when it queues mail
    from services.notifications.operations import DueDelivery


@dataclass(frozen=True)
class Composing:
    """What rendering one delivery may need."""

    template: str
    delivery: DueDelivery
    list_name: dict[str, str]
    settings: Settings
    attached: bool  # the event's .ics goes with the mail

    @property
    def event_url(self) -> str:
        """The event's page for people, in the reader's language."""
        return (f"{self.settings.gateway_url}/event/{self.delivery.context['event']['id']}"
                f"?{urlencode({'lang': self.delivery.language})}")


@dataclass(frozen=True)
class MailKind:
    name: str  # the ledger's `template`, and its template files' name
    render: Callable[[Composing], rendering.RenderedMail]
    list_mail: bool = False
    html: bool = False  # mail people read on phones and click through: real links beside the plain text
    attaches_event: Callable[[dict], bool] = lambda _context: False


def _confirm_url(c: Composing) -> str:
    token = domain.confirmation_token(c.delivery.context["subscription_id"], c.delivery.context["nonce"],
                                      c.settings.secret_key)
    return f"{c.settings.gateway_url}/subscriptions/confirm?{urlencode({'token': token, 'lang': c.delivery.language})}"


def _registration_confirm_url(c: Composing) -> str:
    token = link_secret(REGISTRATION_CONFIRM_PURPOSE, c.delivery.context["registration_id"],
                        c.delivery.context["confirm_nonce"], c.settings.secret_key)
    return registration_confirm_url(c.settings.gateway_url, token, c.delivery.language)


def _sign_in_url(c: Composing) -> str:
    token = link_secret(SIGN_IN_LINK_PURPOSE, c.delivery.context["link_id"], c.delivery.context["nonce"],
                        c.settings.secret_key)
    return sign_in_url(c.settings.gateway_url, token)


EVENT_ANNOUNCEMENT = MailKind(
    "event_announcement", list_mail=True, html=True,
    render=lambda c: rendering.render_event_announcement(c.template, c.delivery.context["event"], c.list_name,
                                                         c.delivery.name, c.delivery.language, c.event_url))
LIST_ANNOUNCEMENT = MailKind(
    "list_announcement", list_mail=True, html=True,
    render=lambda c: rendering.render_list_announcement(c.template, c.delivery.context, c.delivery.language))
SUBSCRIPTION_CONFIRM = MailKind(
    "subscription_confirm",
    render=lambda c: rendering.render_subscription_confirm(c.template, c.delivery.context["list"], c.delivery.name,
                                                           c.delivery.language, _confirm_url(c)))
REGISTRATION_STATUS = MailKind(
    "registration_status", html=True,
    attaches_event=lambda context: context["status"] == RegistrationStatus.CONFIRMED.value,
    render=lambda c: rendering.render_registration_status(c.template, c.delivery.context, c.delivery.name,
                                                          c.delivery.language, c.event_url, c.attached))
REGISTRATION_CONFIRM_ADDRESS = MailKind(
    "registration_confirm_address",
    render=lambda c: rendering.render_registration_confirm_address(c.template, c.delivery.context,
                                                                   c.delivery.language, _registration_confirm_url(c)))
EVENT_REMINDER = MailKind(
    "event_reminder", html=True, attaches_event=lambda _context: True,
    render=lambda c: rendering.render_event_reminder(c.template, c.delivery.context, c.delivery.name,
                                                     c.delivery.language, c.event_url))
RENEWAL_DUE = MailKind(
    "renewal_due", render=lambda c: rendering.render_renewal_due(c.template, c.delivery.context, c.delivery.language))

SIGN_IN_LINK = MailKind(
    "sign_in_link", render=lambda c: rendering.render_sign_in_link(c.template, c.delivery.language, _sign_in_url(c)))

MAIL_KINDS: dict[str, MailKind] = {kind.name: kind for kind in (
    EVENT_ANNOUNCEMENT, LIST_ANNOUNCEMENT, SUBSCRIPTION_CONFIRM, REGISTRATION_STATUS, REGISTRATION_CONFIRM_ADDRESS,
    EVENT_REMINDER, RENEWAL_DUE, SIGN_IN_LINK)}
