"""Who may call each route: the one table. The gateway applies its first column to every request (one
app-wide dependency, `authorize`), before any route runs; the services apply the second, the scope,
from the signed claim each call carries (shared/authority.py). A route missing here stops the gateway
from starting, and the README's table is rendered from this one (`python -m services.gateway.access`).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute

from services.gateway.auth import anyone, organizer, secretariat, someone
from shared.contracts.identity import Caller


class Who(StrEnum):
    PUBLIC = "anyone"  # credentials are not even read; nobody is passed to the services
    ANYONE = "anyone, signed in or not"  # a signed-in person may see or do more: the scope says what
    SIGNED_IN = "a signed-in person"
    ORGANIZER = "organizer or secretariat"
    SECRETARIAT = "secretariat"


@dataclass(frozen=True)
class Rule:
    who: Who
    scope: str = ""  # what the service checks beyond the role


EVENT = "the event's region or one of its networks"
REGISTRATION = ("its manage link (?token=), or its registrant signed in with its address, or an organizer of its "
                "event, or (a delegation) a contact of its member group")
DELEGATION = "a delegation: a contact of its member group, or an organizer of the event"
OWN_FEED = ("the registrant alone: signed in with its address, or with its manage link once the address is "
            "confirmed")
MEMBER = "the member's region or one of their networks"
OWN_ENTRY = "their own entry (a group's contacts, an individual member)"
GROUP_CONTACTS = "a contact of the member group, or the secretariat"
LIST = "the list's region or network (the general list: secretariat)"
OWN = "their own"
OWN_BY_BROWSER = f"{OWN}, from a browser session"

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/"): Rule(Who.ANYONE, "a browser gets the home page"),
    ("GET", "/docs"): Rule(Who.PUBLIC),
    ("GET", "/health"): Rule(Who.ANYONE, "details for organizers"),
    ("GET", "/metrics"): Rule(Who.PUBLIC),  # counts and latencies, no person; keep it off the public proxy
    # calendars: a private feed's address is its own key
    ("GET", "/feeds"): Rule(Who.PUBLIC),
    ("GET", "/feeds/{name}.ics"): Rule(Who.PUBLIC),
    ("GET", "/feeds/private/{feed_token}.ics"): Rule(Who.PUBLIC),
    ("GET", "/feeds/group/{feed_token}.ics"): Rule(Who.PUBLIC),
    ("POST", "/members/{group_id}/calendar-feed"): Rule(Who.SIGNED_IN, GROUP_CONTACTS),
    ("DELETE", "/members/{group_id}/calendar-feed"): Rule(Who.SIGNED_IN, GROUP_CONTACTS),
    ("GET", "/events/{event_id}.ics"): Rule(Who.PUBLIC),
    ("POST", "/registrations/{registration_id}/calendar-feed"): Rule(Who.ANYONE, OWN_FEED),
    ("DELETE", "/registrations/{registration_id}/calendar-feed"): Rule(Who.ANYONE, REGISTRATION),
    # events
    ("GET", "/events"): Rule(Who.ANYONE, f"drafts: for organizers of {EVENT}"),
    ("GET", "/events/{event_id}"): Rule(Who.ANYONE, f"a draft: for organizers of {EVENT}"),
    ("GET", "/schedule"): Rule(Who.ANYONE, f"drafts: for organizers of {EVENT}"),
    ("POST", "/events"): Rule(Who.ORGANIZER, EVENT),
    ("POST", "/events/migrants-day"): Rule(Who.ORGANIZER, "the region of every city's event"),
    ("PATCH", "/events/{event_id}"): Rule(Who.ORGANIZER, f"{EVENT}, before and after the change"),
    ("POST", "/events/{event_id}/publish"): Rule(Who.ORGANIZER, EVENT),
    ("POST", "/events/{event_id}/cancel"): Rule(Who.ORGANIZER, EVENT),
    ("POST", "/events/{event_id}/postpone"): Rule(Who.ORGANIZER, EVENT),
    ("POST", "/events/{event_id}/complete"): Rule(Who.ORGANIZER, EVENT),
    # registrations
    ("POST", "/events/{event_id}/registrations"): Rule(Who.ANYONE, DELEGATION),
    ("GET", "/registration-confirmation"): Rule(Who.PUBLIC),
    ("POST", "/registration-confirmation"): Rule(Who.PUBLIC),
    ("GET", "/registrations/{registration_id}"): Rule(Who.ANYONE, REGISTRATION),
    ("DELETE", "/registrations/{registration_id}"): Rule(Who.ANYONE, REGISTRATION),
    ("PUT", "/registrations/{registration_id}/attendees"): Rule(Who.ANYONE, REGISTRATION),
    ("POST", "/registrations/{registration_id}/approve"): Rule(Who.ORGANIZER, EVENT),
    ("POST", "/registrations/{registration_id}/reject"): Rule(Who.ORGANIZER, EVENT),
    ("GET", "/events/{event_id}/registrations"): Rule(Who.ORGANIZER, EVENT),
    ("GET", "/events/{event_id}/registrations.csv"): Rule(Who.ORGANIZER, EVENT),
    ("GET", "/events/{event_id}/needs"): Rule(Who.ORGANIZER, EVENT),
    # members
    ("GET", "/directory"): Rule(Who.ANYONE, "groups shown to members only: for the network's members and group "
                                            f"contacts; every field: for organizers, of members of {MEMBER}"),
    ("GET", "/members/stats"): Rule(Who.ORGANIZER, "counts only"),
    ("GET", "/members/renewals"): Rule(Who.ORGANIZER, f"members of {MEMBER}"),
    ("GET", "/members/export.csv"): Rule(Who.ORGANIZER, f"members of {MEMBER}"),
    ("POST", "/members/import"): Rule(Who.SECRETARIAT),
    ("GET", "/members/import-jobs/{job_id}"): Rule(Who.SECRETARIAT),
    ("POST", "/members/import-jobs/{job_id}/import"): Rule(Who.SECRETARIAT),
    ("POST", "/members/groups"): Rule(Who.ORGANIZER, MEMBER),
    ("POST", "/members/individuals"): Rule(Who.ORGANIZER, MEMBER),
    ("GET", "/members/{member_id}"): Rule(Who.SIGNED_IN, f"{MEMBER}; {OWN_ENTRY}"),
    ("PATCH", "/members/{member_id}"): Rule(Who.SIGNED_IN, f"{MEMBER}, before and after the change; {OWN_ENTRY}"),
    ("POST", "/members/{member_id}/memberships"): Rule(Who.ORGANIZER, MEMBER),
    ("POST", "/members/{member_id}/erase"): Rule(Who.ORGANIZER, MEMBER),
    # lists and mail
    ("POST", "/lists/{slug}/subscriptions"): Rule(Who.PUBLIC),
    ("GET", "/subscriptions/confirm"): Rule(Who.PUBLIC),
    ("POST", "/subscriptions/confirm"): Rule(Who.PUBLIC),
    ("GET", "/lists/unsubscribe/{subscription_id}/{signature}"): Rule(Who.PUBLIC),
    ("POST", "/lists/unsubscribe/{subscription_id}/{signature}"): Rule(Who.PUBLIC),
    ("GET", "/lists"): Rule(Who.ORGANIZER, "names and counts only"),
    ("POST", "/lists"): Rule(Who.ORGANIZER, LIST),
    ("GET", "/lists/{slug}/subscribers"): Rule(Who.ORGANIZER, LIST),
    ("POST", "/lists/{slug}/subscribers/import"): Rule(Who.ORGANIZER, LIST),
    ("POST", "/lists/{slug}/announcements"): Rule(Who.ORGANIZER, LIST),
    ("GET", "/announcements/{announcement_id}"): Rule(Who.ORGANIZER, "counts only"),
    ("GET", "/audit"): Rule(Who.SECRETARIAT),
    # pages for people (services/gateway/web)
    ("GET", "/event/{event_id}"): Rule(Who.ANYONE, "a draft: its organizers"),
    ("POST", "/event/{event_id}/register"): Rule(Who.ANYONE, "one's own address, signed in: confirmed at once"),
    ("GET", "/registration/{registration_id}"): Rule(Who.ANYONE, REGISTRATION),
    ("POST", "/registration/{registration_id}/cancel"): Rule(Who.ANYONE, REGISTRATION),
    ("POST", "/registration/{registration_id}/calendar"): Rule(Who.ANYONE, OWN_FEED),
    ("GET", "/groups"): Rule(Who.ANYONE, "groups shown to members only: for the network's members and group contacts"),
    ("GET", "/group/{group_id}"): Rule(Who.SIGNED_IN, GROUP_CONTACTS),
    ("POST", "/group/{group_id}/delegations"): Rule(Who.SIGNED_IN, DELEGATION),
    ("POST", "/group/{group_id}/entry"): Rule(Who.SIGNED_IN, OWN_ENTRY),
    ("POST", "/group/{group_id}/calendar"): Rule(Who.SIGNED_IN, GROUP_CONTACTS),
    ("POST", "/group/{group_id}/delegations/{registration_id}/attendees"): Rule(Who.SIGNED_IN, DELEGATION),
    ("GET", "/console"): Rule(Who.ORGANIZER, "their regions' and networks' events"),
    ("GET", "/console/schedule"): Rule(Who.ORGANIZER, "every region's published events; drafts of their scope"),
    ("GET", "/console/events/new"): Rule(Who.ORGANIZER),
    ("GET", "/console/audit"): Rule(Who.SECRETARIAT),
    ("GET", "/console/lists"): Rule(Who.ORGANIZER, "names and counts only"),
    ("GET", "/console/lists/{slug}"): Rule(Who.ORGANIZER, LIST),
    ("POST", "/console/lists/{slug}/announcement"): Rule(Who.ORGANIZER, LIST),
    ("GET", "/console/announcements/{announcement_id}"): Rule(Who.ORGANIZER, "counts only"),
    ("GET", "/console/members"): Rule(Who.ORGANIZER, f"members of {MEMBER}; the figures: counts only"),
    ("GET", "/console/members/new"): Rule(Who.ORGANIZER),
    ("POST", "/console/members/new"): Rule(Who.ORGANIZER, MEMBER),
    ("GET", "/console/members/import"): Rule(Who.SECRETARIAT),
    ("POST", "/console/members/import"): Rule(Who.SECRETARIAT),
    ("GET", "/console/members/import/{job_id}"): Rule(Who.SECRETARIAT),
    ("POST", "/console/members/import/{job_id}/import"): Rule(Who.SECRETARIAT),
    ("GET", "/console/members/{member_id}"): Rule(Who.ORGANIZER, MEMBER),
    ("POST", "/console/members/{member_id}"): Rule(Who.ORGANIZER, f"{MEMBER}, before and after the change"),
    ("POST", "/console/members/{member_id}/memberships"): Rule(Who.ORGANIZER, MEMBER),
    ("POST", "/console/events/new"): Rule(Who.ORGANIZER, EVENT),
    ("GET", "/console/events/{event_id}"): Rule(Who.ORGANIZER, EVENT),
    ("GET", "/console/events/{event_id}/edit"): Rule(Who.ORGANIZER, EVENT),
    ("POST", "/console/events/{event_id}/edit"): Rule(Who.ORGANIZER, f"{EVENT}, before and after the change"),
    ("POST", "/console/events/{event_id}/publish"): Rule(Who.ORGANIZER, EVENT),
    ("POST", "/console/events/{event_id}/postpone"): Rule(Who.ORGANIZER, EVENT),
    ("POST", "/console/events/{event_id}/cancel"): Rule(Who.ORGANIZER, EVENT),
    ("POST", "/console/events/{event_id}/registrations/{registration_id}/decide"): Rule(Who.ORGANIZER, EVENT),
    ("POST", "/console/events/{event_id}/registrations/{registration_id}/cancel"): Rule(Who.ORGANIZER, EVENT),
    ("GET", "/me"): Rule(Who.SIGNED_IN, OWN),
    ("POST", "/me/lists/{subscription_id}/leave"): Rule(Who.SIGNED_IN, OWN),
    ("POST", "/me/entry"): Rule(Who.SIGNED_IN, OWN),
    ("GET", "/sign-in"): Rule(Who.PUBLIC),
    ("POST", "/sign-in"): Rule(Who.PUBLIC),
    ("GET", "/subscribe"): Rule(Who.PUBLIC),
    ("POST", "/subscribe"): Rule(Who.PUBLIC),
    # signing in, and one's own sessions and tokens
    ("POST", "/auth/sign-in"): Rule(Who.PUBLIC),
    ("GET", "/auth/sign-in"): Rule(Who.PUBLIC),
    ("POST", "/auth/sign-in/complete"): Rule(Who.PUBLIC),
    ("GET", "/auth/me"): Rule(Who.SIGNED_IN, OWN),
    ("GET", "/me/registrations"): Rule(Who.SIGNED_IN, OWN),
    ("GET", "/members/{member_id}/delegations"): Rule(Who.SIGNED_IN, GROUP_CONTACTS),
    ("GET", "/me/subscriptions"): Rule(Who.SIGNED_IN, OWN),
    ("DELETE", "/me/subscriptions/{subscription_id}"): Rule(Who.SIGNED_IN, OWN),
    ("POST", "/auth/tokens"): Rule(Who.SIGNED_IN, OWN_BY_BROWSER),
    ("GET", "/auth/tokens"): Rule(Who.SIGNED_IN, OWN_BY_BROWSER),
    ("DELETE", "/auth/tokens/{token_id}"): Rule(Who.SIGNED_IN, OWN_BY_BROWSER),
    ("GET", "/auth/sessions"): Rule(Who.SIGNED_IN, OWN_BY_BROWSER),
    ("DELETE", "/auth/sessions/{session_id}"): Rule(Who.SIGNED_IN, OWN_BY_BROWSER),
    ("POST", "/auth/sign-out"): Rule(Who.SIGNED_IN, "this browser's session"),
}


async def _nobody(_request: Request) -> None:
    return None


_CHECKS = {Who.PUBLIC: _nobody, Who.ANYONE: anyone, Who.SIGNED_IN: someone, Who.ORGANIZER: organizer,
           Who.SECRETARIAT: secretariat}


def rule_for(method: str, path: str) -> Rule:
    """The rule of a route (HEAD follows GET)."""
    return RULES[("GET" if method == "HEAD" else method, path)]


async def authorize(request: Request) -> Caller | None:
    """Applied to every route: who is asking, checked against the route's rule (401/403 before any call
    to a service). Routes and `Rpc` read the answer by depending on this (FastAPI runs it once)."""
    return await _CHECKS[rule_for(request.method, request.scope["route"].path).who](request)


Asker = Annotated[Caller | None, Depends(authorize)]


def check_every_route_has_a_rule(app: FastAPI) -> None:
    missing = [f"{method} {route.path}" for route in app.routes if isinstance(route, APIRoute)
               for method in sorted(route.methods or ()) if method != "HEAD"
               and (method, route.path) not in RULES]
    if missing:
        raise RuntimeError(f"routes without an access rule in services/gateway/access.py: {', '.join(missing)}")


def markdown_table() -> str:
    """The table as the README shows it."""
    lines = ["| Route | Who | Within |", "|---|---|---|"]
    lines += [f"| `{method} {path}` | {rule.who.value} | {rule.scope or '—'} |"
              for (method, path), rule in RULES.items() if path != "/docs"]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
