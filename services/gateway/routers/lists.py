"""Mailing lists: subscribe with double opt-in, confirm and unsubscribe through pages with a button
(mail scanners that fetch links change nothing: only the button's POST does), one-click unsubscribe
(RFC 8058), and the organizers' lists, subscribers and announcements."""
from __future__ import annotations

import base64
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response

from services.gateway.body_limit import upload_limit_text
from services.gateway.deps import Rpc
from shared.contracts.notifications import (
    SLUG_PATTERN,
    SUBSCRIPTION_ID_MAX,
    AnnouncementDraft,
    AnnouncementView,
    MailingListDraft,
    MailingListView,
    OwnSubscription,
    SubscriberImportReport,
    SubscriberView,
    SubscriptionRequest,
)
from shared.errors import Invalid

router = APIRouter(tags=["lists"])
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, description="The list's slug, e.g. `general`")]
SubscriptionId = Annotated[int, Path(ge=1, le=SUBSCRIPTION_ID_MAX)]
Signature = Annotated[str, Path(max_length=64)]
IMPORT_LIMIT = upload_limit_text("POST", "/lists/{slug}/subscribers/import")  # enforced by body_limit
ACCEPTED = {"detail": "If this address can be subscribed, a confirmation mail is on its way. "
                      "The subscription starts when the button in that mail's page is pressed."}


@router.post("/lists/{slug}/subscriptions", status_code=202,
             summary="Subscribe: a confirmation mail is sent; the same answer whether or not the address is known")
async def subscribe(slug: Slug, request: SubscriptionRequest, rpc: Rpc):
    await rpc.notifications.subscribe(slug, request.to_wire())
    return ACCEPTED




@router.get("/me/subscriptions", response_model=list[OwnSubscription],
            summary="The lists one is on, by the address one is signed in with")
async def own_subscriptions(rpc: Rpc):
    return await rpc.notifications.own_subscriptions()


@router.delete("/me/subscriptions/{subscription_id}", response_model=OwnSubscription,
               summary="Leave a list (one's own subscription)")
async def leave_list(subscription_id: SubscriptionId, rpc: Rpc):
    return await rpc.notifications.leave_list(subscription_id)


@router.get("/lists", response_model=list[MailingListView], summary="Every list (organizers)")
async def lists(rpc: Rpc):
    return await rpc.notifications.list_lists()


@router.post("/lists", status_code=201, response_model=MailingListView, summary="Create a list (organizers)")
async def create_list(draft: MailingListDraft, rpc: Rpc):
    return await rpc.notifications.create_list(draft.to_wire())


@router.get("/lists/{slug}/subscribers", response_model=list[SubscriberView],
            summary="A list's subscribers (organizers)")
async def subscribers(slug: Slug, rpc: Rpc):
    return await rpc.notifications.list_subscribers(slug)


@router.post("/lists/{slug}/subscribers/import", response_model=SubscriberImportReport,
             summary="Import subscribers whose consent is held elsewhere, from a CSV (UTF-8 or Shift_JIS) sent as "
                     f"the request body, at most {IMPORT_LIMIT} (organizers)")
async def import_subscribers(slug: Slug, request: Request, rpc: Rpc,
                             dry_run: Annotated[bool, Query(description="Check and count, change nothing")] = False):
    body = await request.body()
    if not body:
        raise Invalid("send the CSV file as the request body", "body")
    return await rpc.notifications.import_subscribers(slug, base64.b64encode(body).decode(),
                                   dry_run)


@router.post("/lists/{slug}/announcements", status_code=202, response_model=AnnouncementView,
             summary="Send an announcement to a list, in the languages it is written in (organizers)")
async def announce(slug: Slug, draft: AnnouncementDraft, rpc: Rpc, response: Response):
    created = await rpc.notifications.post_announcement(slug, draft.to_wire())
    response.headers["Location"] = f"/announcements/{created['id']}"
    return created


@router.get("/announcements/{announcement_id}", response_model=AnnouncementView,
            summary="An announcement's progress: pending, sent and failed deliveries (organizers)")
async def announcement(announcement_id: UUID, rpc: Rpc):
    return await rpc.notifications.announcement(str(announcement_id))
