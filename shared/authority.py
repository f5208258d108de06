"""Who may act on what: the scope rules every service applies to the verified caller of a call
(shared/bus/requester.py). Pure functions over a Caller; the services own the records they are asked
about, so they apply them (the gateway only turns away those with no organizing role at all).

A caller with no right to a thing they can name gets 403 naming the scope they lack; a caller who
names a registration without its link or any right to it gets 404, as if it did not exist.
"""
from __future__ import annotations

from collections.abc import Iterable

from shared.contracts.identity import Caller, Role
from shared.errors import Forbidden, Unauthenticated

NETWORK_ROLES = frozenset({Role.MEMBER, Role.GROUP_CONTACT, Role.ORGANIZER, Role.SECRETARIAT})


def _where(region: str | None, networks: Iterable[str]) -> str:
    places = ([f"region {region}"] if region else []) + [f"network {name}" for name in networks]
    return ", ".join(places) or "the whole network (secretariat only)"


def organizing(who: Caller) -> Caller:
    """`who`, if they hold an organizing role (secretariat, or organizer in some scope); else 403. The
    scope of what they touch is checked where it is known."""
    if not who.is_organizing:
        raise Forbidden("this needs the organizer or secretariat role, which your account does not have")
    return who


def of_the_secretariat(who: Caller) -> Caller:
    if not who.is_secretariat:
        raise Forbidden("this needs the secretariat role, which your account does not have")
    return who


def organizer_of(who: Caller | None, region: str | None, networks: Iterable[str], what: str) -> Caller:
    """`who`, if they organize in `region` or one of `networks`; else 401 (nobody) or 403."""
    networks = tuple(networks)
    if who is None:
        raise Unauthenticated(f"{what} is for its organizers: sign in, or send a personal API token")
    if not who.organizes(region, networks):
        raise Forbidden(f"{what} belongs to {_where(region, networks)}: outside the regions and networks "
                        "you organize")
    return who


def may_organize(who: Caller | None, region: str | None, networks: Iterable[str]) -> bool:
    return who is not None and who.organizes(region, tuple(networks))


def of_the_network(who: Caller | None) -> bool:
    """Whether they belong to the network (an individual member, a member group's contact, an organizer):
    who may see what member groups show to members only."""
    return who is not None and any(grant.role in NETWORK_ROLES for grant in who.grants)


def contact_of(who: Caller | None, group_id: str, what: str) -> Caller:
    """`who`, if they speak for the member group `group_id` (its contacts, the secretariat)."""
    if who is None:
        raise Unauthenticated(f"{what} is for the member group's contacts: sign in, or send a personal API token")
    if not who.speaks_for(group_id):
        raise Forbidden(f"{what}: you are not a contact of the member group {group_id}")
    return who
