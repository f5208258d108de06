"""Every message that crosses the bus, as frozen pydantic models.

`EVENT_TYPES` maps each event's name to its contract: the one registry consumers parse against.
"""
from shared.contracts.base import Contract, Event
from shared.contracts.events import REGISTRATION_EVENTS, EventCancelled, EventPostponed, EventPublished, EventUpdated
from shared.contracts.identity import ApiTokenRevoked, SessionRevoked, SignInRequested
from shared.contracts.members import (
                                     MemberErased,
                                     MemberJoined,
                                     MemberLeft,
                                     MembershipRenewalDue,
                                     MembershipRenewed,
                                     MemberUpdated,
)

_EVERY_EVENT: tuple[type[Event], ...] = (
    EventPublished, EventUpdated, EventPostponed, EventCancelled, *REGISTRATION_EVENTS,
    MemberJoined, MemberUpdated, MemberLeft, MembershipRenewed, MembershipRenewalDue, MemberErased, SignInRequested,
    SessionRevoked, ApiTokenRevoked)
EVENT_TYPES: dict[str, type[Event]] = {contract.event_type: contract for contract in _EVERY_EVENT}

__all__ = ["Contract", "Event", "EVENT_TYPES", "EventPublished", "MemberErased", "MemberJoined", "MemberLeft"]
