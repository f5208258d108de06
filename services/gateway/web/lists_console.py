"""The organizers' console, lists: each list with its subscribers; an announcement composed in several
languages, previewed as each group of readers will get it (the text of their language, or the one they
fall back to), sent, and followed as it goes out (pending, sent, failed)."""
from __future__ import annotations

import asyncio
from collections import Counter
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.gateway.deps import Rpc
from services.gateway.web.forms import posted_form, posted_text, refusals
from services.gateway.web.languages import LANGUAGE_NAMES
from services.gateway.web.templating import pages_of
from shared.contracts.base import Slug
from shared.contracts.notifications import (
    AnnouncementDraft,
    AnnouncementView,
    MailingListView,
    SubscriberView,
    SubscriptionStatus,
)
from shared.errors import Invalid, NotFound
from shared.i18n import choose_language, supported_language

router = APIRouter(include_in_schema=False)
WRITTEN_IN = 4  # languages one announcement's form offers (of the list's, then the network's)


def _texts(data: FormData) -> tuple[dict[str, str], dict[str, str]]:
    """The subject and body per language as the form holds them: block n names its language."""
    subject: dict[str, str] = {}
    body: dict[str, str] = {}
    for block in range(WRITTEN_IN):
        language = posted_text(data, f"language_{block}")
        if language and (posted_text(data, f"subject_{block}") or posted_text(data, f"body_{block}")):
            subject[language] = posted_text(data, f"subject_{block}")
            body[language] = posted_text(data, f"body_{block}")
    return subject, body


def _block_of(data: FormData):
    """A refusal's field (`subject.vi`) as the form's field (`subject_2`)."""
    blocks = {posted_text(data, f"language_{block}"): block for block in range(WRITTEN_IN)}

    def field(where: str | None) -> str:
        part, _, language = (where or "").partition(".")
        return f"{part}_{blocks[language]}" if part in ("subject", "body") and language in blocks else ""
    return field


def _readers(subscribers: list[SubscriberView]) -> Counter:
    """How many confirmed subscribers read each language."""
    return Counter(supported_language(each.language) or each.language for each in subscribers
                   if each.status is SubscriptionStatus.CONFIRMED)


async def _lists(rpc: Rpc) -> list[MailingListView]:
    return [MailingListView.model_validate(each) for each in await rpc.notifications.list_lists()]


def _preview(draft: AnnouncementDraft, readers: Counter) -> list[dict]:
    """What each group of readers gets: the text in their language, or the one they fall back to."""
    preview = []
    for language, count in readers.most_common():
        written = choose_language(draft.body.keys(), language)
        preview.append({"reader": language, "count": count, "written": written,
                        "subject": draft.subject.get(written or "", ""), "body": draft.body.get(written or "", "")})
    return preview


@router.get("/console/lists")
async def lists(request: Request, rpc: Rpc):
    return pages_of(request).render(request, "console_lists.html", private=True, lists=await _lists(rpc))


async def _list_page(request: Request, rpc: Rpc, slug: str, values: dict | None = None, errors: dict | None = None,
                     draft: AnnouncementDraft | None = None, nothing_written: bool = False, status: int = 200):
    """The list's page; with `draft`, what each group of its readers would get of it."""
    every_list, listed = await asyncio.gather(_lists(rpc), rpc.notifications.list_subscribers(slug))
    mailing_list = next((each for each in every_list if each.slug == slug), None)
    if mailing_list is None:
        raise NotFound(f"no list {slug}", "slug")
    subscribers = [SubscriberView.model_validate(each) for each in listed]
    readers = _readers(subscribers)
    # the form's languages: those the list's readers read most, then Japanese and English
    offered = [language for language, _ in readers.most_common()]
    offered = [*dict.fromkeys([*offered, "ja", "en"])][:WRITTEN_IN]
    offered += [language for language in LANGUAGE_NAMES if language not in offered][:WRITTEN_IN - len(offered)]
    shown = {f"language_{block}": language for block, language in enumerate(offered)}
    return pages_of(request).render(request, "console_list.html", status=status, private=True,
                                    here=f"/console/lists/{slug}", mailing_list=mailing_list, subscribers=subscribers,
                                    readers=readers, values={**shown, **(values or {})}, errors=errors or {},
                                    blocks=range(WRITTEN_IN), preview=_preview(draft, readers) if draft else None,
                                    nothing_written=nothing_written)


@router.get("/console/lists/{slug}")
async def list_page(slug: Slug, request: Request, rpc: Rpc):
    return await _list_page(request, rpc, slug)


@router.post("/console/lists/{slug}/announcement")
async def compose(slug: Slug, request: Request, rpc: Rpc):
    """The compose form's two buttons: preview (nothing sent), or send."""
    data, values = await posted_form(request)
    subject, body = _texts(data)
    if not body:
        return await _list_page(request, rpc, slug, values, nothing_written=True, status=422)
    try:
        draft = AnnouncementDraft.model_validate({"subject": subject, "body": body})
        if posted_text(data, "action") == "send":
            sent = AnnouncementView.model_validate(await rpc.notifications.post_announcement(slug, draft.to_wire()))
            return RedirectResponse(f"/console/announcements/{sent.id}", status_code=303)
    except (ValidationError, Invalid) as refused:
        return await _list_page(request, rpc, slug, values, refusals(refused, _block_of(data)), status=422)
    return await _list_page(request, rpc, slug, values, draft=draft)


@router.get("/console/announcements/{announcement_id}")
async def progress(announcement_id: UUID, request: Request, rpc: Rpc):
    sent = AnnouncementView.model_validate(await rpc.notifications.announcement(str(announcement_id)))
    return pages_of(request).render(request, "console_announcement.html", private=True, announcement=sent,
                                    under_way=sent.pending > 0)
