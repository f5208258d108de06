"""A signed-in member's own page: the registrations they made for themselves, the lists their address
is on (and leaving one), and their directory entry with what it shows to whom."""
from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from services.gateway.deps import Asker, Rpc
from services.gateway.routers.lists import SubscriptionId
from services.gateway.web.events import titles_of
from services.gateway.web.forms import FormToken, check_form_token
from services.gateway.web.templating import pages_of
from shared.contracts.events import RegistrationView
from shared.contracts.identity import Role
from shared.contracts.members import INDIVIDUAL_PUBLIC_FIELDS, MemberView
from shared.contracts.notifications import OwnSubscription
from shared.errors import NotFound

router = APIRouter(include_in_schema=False)


def _member_id(who) -> str | None:
    return next((grant.member_id for grant in who.grants if grant.role is Role.MEMBER and grant.member_id), None)


@router.get("/me")
async def my_page(request: Request, rpc: Rpc, who: Asker):
    assert who is not None, "the access table lets only a signed-in person here"
    registrations = [RegistrationView.model_validate(found) for found in await rpc.events.own_registrations()]
    titles = await titles_of(rpc, (registration.event_id for registration in registrations))
    subscriptions = [OwnSubscription.model_validate(found) for found in await rpc.notifications.own_subscriptions()]
    member_id = _member_id(who)
    entry = MemberView.model_validate(await rpc.members.get_member(member_id)) if member_id else None
    group_ids = sorted({group for grant in who.grants if grant.role is Role.GROUP_CONTACT for group in grant.groups})
    groups = [MemberView.model_validate(found)
              for found in await asyncio.gather(*(rpc.members.get_member(group_id) for group_id in group_ids))]
    return pages_of(request).render(request, "me.html", private=True, registrations=registrations, titles=titles,
                                    subscriptions=subscriptions, entry=entry, shown_fields=INDIVIDUAL_PUBLIC_FIELDS,
                                    groups=groups)


@router.post("/me/lists/{subscription_id}/leave")
async def leave(request: Request, rpc: Rpc, subscription_id: SubscriptionId,
                form_token: FormToken):
    check_form_token(request, form_token)
    await rpc.notifications.leave_list(subscription_id)
    return RedirectResponse("/me", status_code=303)


@router.post("/me/entry")
async def change_entry(request: Request, rpc: Rpc, who: Asker, form_token: FormToken):
    check_form_token(request, form_token)
    member_id = _member_id(who)
    if member_id is None:
        raise NotFound("you have no member record of your own", "member_id")
    data = await request.form()
    shown = [name for name in data.getlist("public_fields") if name in INDIVIDUAL_PUBLIC_FIELDS]
    await rpc.members.patch_member(member_id, {"directory_opt_in": data.get("directory_opt_in") == "yes",
                                               "public_fields": shown})
    return RedirectResponse("/me", status_code=303)
