"""Who handles which event: the one list of every subscription in Tsunagu.

The bus declares each subscriber's queue from this list before any event is published (nameko would
only declare it when the subscriber first starts, and events published before that are lost), and a
test checks that the services' handlers are exactly these.
"""
from __future__ import annotations

from dataclasses import dataclass

from nameko.events import SERVICE_POOL

from shared.bus.entrypoints import Subscriber
from shared.contracts import EventPublished, MemberErased, MemberJoined, MemberLeft, MembershipRenewalDue
from shared.contracts.base import Event
from shared.contracts.events import (
    RegistrationAddressConfirmed,
    RegistrationApproved,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationExpired,
    RegistrationPending,
    RegistrationPromoted,
    RegistrationRejected,
    RegistrationWaitlisted,
)
from shared.contracts.identity import SignInRequested


@dataclass(frozen=True)
class Subscription:
    consumer: str            # the subscribing service
    contract: type[Event]    # what it consumes
    handler: str             # the method of the subscribing service

    @property
    def queue_name(self) -> str:
        # nameko's own naming for SERVICE_POOL handlers, so that both declare the same queue
        return f"evt-{self.contract.source}-{self.contract.event_type}--{self.consumer}.{self.handler}"


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("notifications", EventPublished, "announce_event"),
    Subscription("events", MemberJoined, "record_member_joined"),
    Subscription("events", MemberLeft, "record_member_left"),
    Subscription("events", MemberErased, "forget_member"),
    Subscription("notifications", MemberErased, "forget_member"),
    Subscription("notifications", RegistrationConfirmed, "mail_registration_confirmed"),
    Subscription("notifications", RegistrationWaitlisted, "mail_registration_waitlisted"),
    Subscription("notifications", RegistrationPromoted, "mail_registration_promoted"),
    Subscription("notifications", RegistrationPending, "mail_registration_pending"),
    Subscription("notifications", RegistrationApproved, "mail_registration_approved"),
    Subscription("notifications", RegistrationRejected, "mail_registration_rejected"),
    Subscription("notifications", RegistrationCancelled, "mail_registration_cancelled"),
    Subscription("notifications", RegistrationAddressConfirmed, "mail_registration_address_confirmed"),
    Subscription("notifications", RegistrationExpired, "mail_registration_expired"),
    Subscription("notifications", MembershipRenewalDue, "mail_renewal_due"),
    Subscription("notifications", SignInRequested, "mail_sign_in_link"),
)


def subscriptions_from(source: str) -> list[Subscription]:
    return [sub for sub in SUBSCRIPTIONS if sub.contract.source == source]


def subscribe(contract: type[Event]):
    """The nameko entrypoint for a subscription: durable queue, one consumer per service pool.

    `requeue_on_error`: the inbox wrapper raises only when it could not even dead-letter a message,
    and then the message must go back to the queue rather than be acked and lost.
    """
    return Subscriber.decorator(contract.source, contract.event_type, handler_type=SERVICE_POOL,
                         reliable_delivery=True, requeue_on_error=True)
