"""`tsunagu accounts add EMAIL --role ROLE [scope]`, `tsunagu accounts list`, `tsunagu accounts link
EMAIL` and `tsunagu accounts token EMAIL`: the first secretariat account, and any other, made from the
machine the system runs on; a sign-in link for one (also mailed to it); a personal API token for one's
scripts (a cron job on that machine, say), made without a browser."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import ValidationError

from shared.bus.requester import Voucher
from shared.contracts.identity import (
    AccountDraft,
    AccountView,
    ApiTokenIssued,
    ApiTokenRequest,
    Caller,
    Grant,
    sign_in_url,
)
from shared.errors import TsunaguError
from shared.rpc import RpcPool
from shared.settings import Settings, load_settings


@contextmanager
def _members(settings: Settings) -> Iterator:
    """The members service, over one standalone proxy for this command, as the operator."""
    pool = RpcPool.for_operator(settings)
    try:
        with pool.services() as rpc:
            yield rpc.members
    finally:
        pool.close()


def describe(account: AccountView) -> str:
    roles = []
    for grant in account.grants:
        scope = [*grant.regions, *grant.networks, *grant.groups, *([grant.member_id] if grant.member_id else [])]
        roles.append(grant.role.value + (f" ({', '.join(scope)})" if scope else ""))
    return f"{account.email}: {'; '.join(roles)}"


def add(email: str, role: str, regions: list[str], networks: list[str], groups: list[str],
        member_id: str | None) -> int:
    try:
        draft = AccountDraft(email=email, grants=(Grant(role=role, regions=regions, networks=networks,
                                                         groups=groups, member_id=member_id),))
    except ValidationError as exc:
        print(f"not added: {'; '.join(error['msg'] for error in exc.errors())}", file=sys.stderr)
        return 2
    try:
        with _members(load_settings()) as members:
            account = AccountView.model_validate(members.add_account(draft.to_wire()))
    except TsunaguError as exc:
        print(f"not added: {exc}", file=sys.stderr)
        return 2
    print(describe(account))
    return 0


def list_all() -> int:
    with _members(load_settings()) as members:
        for account in members.list_accounts():
            print(describe(AccountView.model_validate(account)))
    return 0


def link(email: str, language: str) -> int:
    settings = load_settings()
    try:
        with _members(settings) as members:
            token = members.issue_sign_in_link(email, language)
    except TsunaguError as exc:
        print(f"no link: {exc}", file=sys.stderr)
        return 2
    print(f"{sign_in_url(settings.gateway_url, token)}   (one use, 15 minutes; also mailed to {email})")
    return 0


def make_api_token(settings: Settings, email: str, name: str) -> ApiTokenIssued:
    """A personal API token of the account at `email`, made as that person (who is then told of it in
    their list of tokens, and may revoke it)."""
    with _members(settings) as members:
        account = AccountView.model_validate(members.account_for_email(email))
    person = Caller(account_id=account.id, email=account.email, grants=account.grants)
    pool = RpcPool(settings.amqp_uri, 1, timeout=30, claim=lambda: Voucher(settings.secret_key).context(person))
    try:
        with pool.services() as rpc:
            return ApiTokenIssued.model_validate(rpc.members.create_api_token(ApiTokenRequest(name=name).to_wire()))
    finally:
        pool.close()


def token(email: str, name: str) -> int:
    try:
        issued = make_api_token(load_settings(), email, name)
    except (TsunaguError, ValidationError) as exc:
        print(f"no token: {exc}", file=sys.stderr)
        return 2
    print(f"{issued.token}   (shown once; revoke it at DELETE /auth/tokens/{issued.id})")
    return 0


def secretariat_token(settings: Settings, email: str, name: str) -> str:
    """A new personal API token of the secretariat account at `email` (made if new): how a fresh
    installation's first script, the tests and the benchmarks get to act through the gateway."""
    with _members(settings) as members:
        members.add_account({"email": email, "grants": [{"role": "secretariat"}]})
    return make_api_token(settings, email, name).token

