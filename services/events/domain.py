"""The events service's rules, free of frameworks: what may happen to an event, and when."""
from __future__ import annotations

from shared.contracts.vocabulary import EventStatus
from shared.errors import Conflict


def check_can_publish(status: EventStatus) -> None:
    """Only a draft is published; publishing twice would announce the event twice."""
    if status is not EventStatus.DRAFT:
        raise Conflict(f"only a draft can be published; this event is {status.value}", "status")


def revision_after_publication(revision: int) -> int:
    """Publication is revision 1; every later change that matters raises it (feeds and mail rely on it)."""
    return max(revision, 0) + 1
