"""Pages for people: the public site (events, registration, lists, directory), the member groups' pages
and the organizers' console. Server-rendered HTML that works without JavaScript, in the reader's
language (gettext catalogues under shared/locale/), phone first, naming no other host.

The pages call the services over RPC exactly as the API routes do (services/gateway/deps.py), and the
access table (services/gateway/access.py) has a row for each of them; they are left out of the OpenAPI
document, which describes the API."""
from __future__ import annotations

from services.gateway.web import (
    audit_console,
    console,
    directory,
    event_editing,
    group,
    lists,
    lists_console,
    me,
    members_console,
    public,
    schedule,
    signing_in,
)

ROUTERS = tuple(module.router for module in (public, lists, directory, signing_in, me, group, console, schedule,
                                                      members_console, lists_console, audit_console,
                                                      event_editing))
