"""The mailing lists' pages: choose lists and a language and subscribe; the page behind the link of the
confirmation mail; the page behind every list mail's unsubscribe link (and RFC 8058's one-click POST).

The confirmation and unsubscribe forms carry no form token: the secret in their link is what proves the
right to press them, and a mail client's one-click unsubscribe sends no cookie."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from services.gateway.deps import Rpc
from services.gateway.routers.lists import Signature, SubscriptionId
from services.gateway.web.forms import checked_form, posted_text
from services.gateway.web.languages import page_language
from services.gateway.web.templating import pages_of
from shared.contracts.notifications import MailingListView, PublicList, SubscriptionRequest
from shared.errors import NotFound
from shared.words import N_, NOT_AN_ADDRESS

router = APIRouter(include_in_schema=False)
NO_LIST = N_("Choose at least one list.")
NAME_TOO_LONG = N_("This is too long.")


async def _lists(rpc: Rpc) -> list[PublicList]:
    return [PublicList.model_validate(found) for found in await rpc.notifications.public_lists()]


@router.get("/subscribe")
async def subscribe_page(request: Request, rpc: Rpc):
    return pages_of(request).render(request, "subscribe.html", lists=await _lists(rpc), chosen=[], email="",
                                    name="", mail_language=page_language(request), errors={})


@router.post("/subscribe")
async def subscribe(request: Request, rpc: Rpc):
    data = await checked_form(request)
    lists = await _lists(rpc)
    known = {each.slug for each in lists}
    chosen = [slug for slug in data.getlist("lists") if isinstance(slug, str) and slug in known]
    email, name = posted_text(data, "email"), posted_text(data, "name")
    mail_language = str(data.get("language") or page_language(request))
    errors: dict[str, str] = {}
    if not chosen:
        errors["lists"] = NO_LIST
    try:
        wanted = SubscriptionRequest.model_validate({"email": email, "language": mail_language, "name": name or None})
    except ValidationError as invalid:
        for error in invalid.errors():
            if error["loc"] == ("email",):
                errors["email"] = NOT_AN_ADDRESS
            elif error["loc"] == ("name",):
                errors["name"] = NAME_TOO_LONG
    if errors:
        return pages_of(request).render(request, "subscribe.html", status=422, here="/subscribe", lists=lists,
                                        chosen=chosen, email=email, name=name, mail_language=mail_language,
                                        errors=errors)
    for slug in chosen:  # the same answer whether or not the address was on a list already
        await rpc.notifications.subscribe(slug, wanted.to_wire())
    return pages_of(request).render(request, "subscribe_sent.html", private=True, here="/subscribe", email=email)


@router.get("/subscriptions/confirm")
async def confirm_page(request: Request, token: Annotated[str, Query(max_length=100)]):
    # a page with a button: a mail scanner opening the link subscribes nobody
    return pages_of(request).render(request, "subscribe_confirm.html", private=True, token=token)


@router.post("/subscriptions/confirm")
async def confirm(request: Request, token: Annotated[str, Form(max_length=100)], rpc: Rpc):
    try:
        mailing_list = MailingListView.model_validate(await rpc.notifications.confirm_subscription(token))
    except NotFound:
        return pages_of(request).render(request, "link_not_valid.html", status=404, private=True)
    return pages_of(request).render(request, "subscribed.html", private=True, here="/subscribe",
                                    list_name=mailing_list.name)


@router.get("/lists/unsubscribe/{subscription_id}/{signature}")
async def unsubscribe_page(request: Request, subscription_id: SubscriptionId, signature: Signature, rpc: Rpc):
    try:
        preview = await rpc.notifications.unsubscribe_preview(subscription_id, signature)
    except NotFound:
        return pages_of(request).render(request, "link_not_valid.html", status=404, private=True)
    return pages_of(request).render(request, "unsubscribe.html", private=True, theirs=preview["language"],
                                    list_name=preview["list"], done=False)


@router.post("/lists/unsubscribe/{subscription_id}/{signature}", response_class=HTMLResponse,
             include_in_schema=True, tags=["lists"],
             summary="One-click unsubscribe (RFC 8058): a POST unsubscribes at once")
async def unsubscribe(request: Request, subscription_id: SubscriptionId, signature: Signature, rpc: Rpc):
    try:
        mailing_list = MailingListView.model_validate(await rpc.notifications.unsubscribe(subscription_id, signature))
    except NotFound:
        return pages_of(request).render(request, "link_not_valid.html", status=404, private=True)
    return pages_of(request).render(request, "unsubscribe.html", private=True, list_name=mailing_list.name,
                                    done=True)
