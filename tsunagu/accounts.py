"""`tsunagu accounts add EMAIL --role ROLE [scope]`, `tsunagu accounts list` and `tsunagu accounts link
EMAIL`: the first secretariat account, and any other, made from the machine the system runs on, and a
sign-in link for one (also mailed to it)."""
from __future__ import annotations

import sys

from pydantic import ValidationError

from shared.contracts.identity import AccountDraft, AccountView, Grant
from shared.errors import TsunaguError
from shared.rpc import RpcPool
from shared.settings import load_settings


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
    pool = RpcPool(load_settings().amqp_uri, 1, timeout=30)
    try:
        with pool.services() as rpc:
            account = AccountView.model_validate(rpc.members.add_account(draft.to_wire()))
    except TsunaguError as exc:
        print(f"not added: {exc}", file=sys.stderr)
        return 2
    finally:
        pool.close()
    print(describe(account))
    return 0


def list_all() -> int:
    pool = RpcPool(load_settings().amqp_uri, 1, timeout=30)
    try:
        with pool.services() as rpc:
            for account in rpc.members.list_accounts():
                print(describe(AccountView.model_validate(account)))
    finally:
        pool.close()
    return 0


def sign_in_url(settings, token: str) -> str:
    return f"{settings.gateway_url}/auth/sign-in?token={token}"


def link(email: str, language: str) -> int:
    settings = load_settings()
    pool = RpcPool(settings.amqp_uri, 1, timeout=30)
    try:
        with pool.services() as rpc:
            token = rpc.members.issue_sign_in_link(email, language)
    except TsunaguError as exc:
        print(f"no link: {exc}", file=sys.stderr)
        return 2
    finally:
        pool.close()
    print(f"{sign_in_url(settings, token)}   (one use, 15 minutes; also mailed to {email})")
    return 0
