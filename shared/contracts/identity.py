"""Who is asking: accounts, their roles and the scope of each, and the verified caller the gateway passes
to the services (signed, shared/claims.py).

An account is an email address. One person may hold several roles:

- `secretariat`: everything, including accounts and the audit trail;
- `organizer`: events, registrations, needs, members, lists and announcements within their regions
  and/or thematic networks;
- `group_contact`: the named member groups' delegations, attendee names, directory entries and
  registrations;
- `member`: an individual member's own registrations, subscriptions and directory entry, and the
  members-only tier of the directory.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import EmailStr, Field, model_validator

from shared.contracts.base import Contract, Event, LanguageTag, Slug
from shared.contracts.vocabulary import Region


class Role(StrEnum):
    SECRETARIAT = "secretariat"
    ORGANIZER = "organizer"
    GROUP_CONTACT = "group_contact"
    MEMBER = "member"


class Grant(Contract):
    """One role, with its scope: the regions and networks an organizer works in, the member groups a
    contact speaks for, the member record a member is."""

    role: Role
    regions: tuple[Region, ...] = Field((), description="organizer: the regions whose events they run")
    networks: tuple[Slug, ...] = Field((), description="organizer: the thematic networks whose events they run")
    groups: tuple[str, ...] = Field((), description="group_contact: the member groups they speak for (ids)")
    member_id: str | None = Field(None, description="member: their own member record")

    @model_validator(mode="after")
    def _scope_fits_the_role(self) -> Grant:
        scoped = {"regions": bool(self.regions), "networks": bool(self.networks), "groups": bool(self.groups),
                  "member_id": self.member_id is not None}
        allowed = {Role.SECRETARIAT: set(), Role.ORGANIZER: {"regions", "networks"},
                   Role.GROUP_CONTACT: {"groups"}, Role.MEMBER: {"member_id"}}[self.role]
        extra = sorted(name for name, given in scoped.items() if given and name not in allowed)
        if extra:
            raise ValueError(f"{', '.join(extra)}: not a scope of the role {self.role.value}")
        if allowed and not any(scoped[name] for name in allowed):
            # an unscoped organizer would be a secretariat by another name
            raise ValueError(f"the role {self.role.value} needs its scope: {' or '.join(sorted(allowed))}")
        return self


class AccountDraft(Contract):
    email: EmailStr
    grants: tuple[Grant, ...] = Field(min_length=1)


class AccountView(Contract):
    id: str
    email: str
    grants: tuple[Grant, ...]
    created_at: datetime
    disabled_at: datetime | None = None


class Caller(Contract):
    """A verified caller, as the gateway vouches for it to the services (signed: shared/claims.py)."""

    account_id: str
    email: str
    grants: tuple[Grant, ...]
    session_id: str | None = Field(None, description="the session the request came with, if any")
    token_id: str | None = Field(None, description="the personal API token it came with, if any")
    client: str | None = Field(None, description="the client address the request came from (for the audit trail)")

    def has(self, role: Role) -> bool:
        return any(grant.role is role for grant in self.grants)

    @property
    def is_secretariat(self) -> bool:
        return self.has(Role.SECRETARIAT)

    @property
    def is_organizing(self) -> bool:
        """Whether they hold a role that runs events (in some scope): secretariat or organizer."""
        return self.has(Role.SECRETARIAT) or self.has(Role.ORGANIZER)

    def organizes(self, region: Region | str | None, networks: tuple[str, ...] | list[str] = ()) -> bool:
        """Whether they may run an event of this region and these networks: the secretariat always, an
        organizer whose regions hold its region or whose networks meet its networks."""
        if self.is_secretariat:
            return True
        return any(grant.role is Role.ORGANIZER and ((region is not None and region in grant.regions)
                                                     or bool(set(networks) & set(grant.networks)))
                   for grant in self.grants)

    def organized_scope(self) -> tuple[frozenset[str], frozenset[str]]:
        """The regions and the networks they organize in (meaningless for the secretariat, who
        organizes everywhere)."""
        grants = [grant for grant in self.grants if grant.role is Role.ORGANIZER]
        return (frozenset(region for grant in grants for region in grant.regions),
                frozenset(network for grant in grants for network in grant.networks))

    def is_member(self, member_id: str) -> bool:
        """Whether this member record (an individual's) is theirs."""
        return any(grant.role is Role.MEMBER and grant.member_id == member_id for grant in self.grants)

    def speaks_for(self, group_id: str) -> bool:
        """Whether they may act for this member group: the secretariat, or one of its contacts."""
        return self.is_secretariat or any(grant.role is Role.GROUP_CONTACT and group_id in grant.groups
                                          for grant in self.grants)


# Who acts from the host's command line (`tsunagu accounts`, imports, the demo): whoever holds
# TSUNAGU_SECRET_KEY can vouch for anyone, so the command line acts as the secretariat, under its own name.
OPERATOR = Caller(account_id="operator", email="operator@localhost", grants=(Grant(role=Role.SECRETARIAT),))

SIGN_IN_LINK_PURPOSE = "sign-in"  # shared.secrets.link_secret's purpose for sign-in links
SIGN_IN_PAGE = "/auth/sign-in"  # the gateway's page a sign-in link opens


def sign_in_url(gateway_url: str, token: str) -> str:
    """The link a person is given (by mail, or printed by the command line) to sign in."""
    return f"{gateway_url}{SIGN_IN_PAGE}?token={token}"


class SignInRequest(Contract):
    email: EmailStr
    language: LanguageTag = Field("ja", description="The language of the mail with the link")


class SignedIn(Contract):
    """A sign-in completed: the session it opened and who it is."""

    session_id: str
    account: AccountView
    expires_at: datetime


class SignInRequested(Event):
    """Published by the members service when an account asks to sign in (and is under its hourly limit).

    Promises: `link_id` and `nonce` make the link's secret (`shared.secrets.link_secret` with
    SIGN_IN_LINK_PURPOSE and the secret key); the link works once, until `expires_at`. Nothing is
    published for an address without an account: the asker is answered the same either way.
    Consumers: notifications (the mail with the link).
    """

    event_type: ClassVar[str] = "sign_in_requested"
    source: ClassVar[str] = "members"

    link_id: str
    email: str
    language: str
    nonce: str
    expires_at: datetime


class SessionView(Contract):
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class SessionRevoked(Event):
    """Published by the members service when a session is ended (signed out, revoked from another
    browser, or its account disabled).

    Promises: the session opens nothing any more; a claim made for it must not be honoured.
    Consumers: the gateway (it stops honouring the session's cookie at once).
    """

    event_type: ClassVar[str] = "session_revoked"
    source: ClassVar[str] = "members"

    session_id: str
    account_id: str


API_TOKEN_PREFIX = "tsu_"  # so that secret scanners and people recognise a Tsunagu token


class ApiTokenRequest(Contract):
    name: str = Field(min_length=1, max_length=80, description="What the token is for, e.g. 'region sync script'")


class ApiTokenView(Contract):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


class ApiTokenIssued(ApiTokenView):
    """Shown once, when it is made: only its hash is kept."""

    token: str


class ApiTokenCaller(Contract):
    """Who a valid API token speaks for, as the members service tells the gateway."""

    token_id: str
    caller: Caller


class ApiTokenRevoked(Event):
    """Published by the members service when a personal API token is revoked.

    Promises: the token opens nothing any more. Consumers: the gateway (it forgets the token at once).
    """

    event_type: ClassVar[str] = "api_token_revoked"
    source: ClassVar[str] = "members"

    token_id: str
    account_id: str


# --- the audit trail (shared/audit.py) ------------------------------------------------------------

class AuditEntry(Contract):
    """Who read or exported personal data, or changed accounts and roles."""

    service: str = Field(description="the service that holds the data, and keeps this entry")
    id: int = Field(description="its place in that service's chain")
    at: datetime
    account_id: str
    roles: list[str]
    action: str = Field(description="e.g. registrations.csv, member.read, account.add")
    resource: str = Field(description="what was read or changed, e.g. event/<id>")
    people: int = Field(description="how many people's records it held")
    client: str | None = Field(None, description="the client address the request came from")
    hash: str


class AuditQuery(Contract):
    account_id: str | None = Field(None, max_length=64)
    action: str | None = Field(None, max_length=64)
    since: datetime | None = None
    until: datetime | None = None
    limit: int = Field(100, ge=1, le=1000)


class AuditReport(Contract):
    service: str
    entries: int
    intact: bool
    first_broken: int | None = Field(None, description="the first entry that does not match its chain")
    reason: str | None = None
