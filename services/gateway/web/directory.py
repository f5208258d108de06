"""The directory's page: member groups (and individuals who opted in) by region, language offered,
network and kind — public fields only, and for the network's signed-in members also the groups that
show themselves to members only (marked so)."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from services.gateway.deps import Rpc
from services.gateway.web.templating import pages_of
from shared.contracts.members import DirectoryEntry, GroupKind
from shared.contracts.vocabulary import Region

router = APIRouter(include_in_schema=False)
PAGE = 50


def _page(request: Request, number: int) -> str:
    kept = {name: value for name, value in request.query_params.items() if name != "page"}
    return f"/groups?{urlencode({**kept, 'page': number})}"


@router.get("/groups")
async def directory_page(request: Request, rpc: Rpc, q: Annotated[str | None, Query(max_length=100)] = None,
                         region: Region | None = None, kind: GroupKind | None = None,
                         language: Annotated[str | None, Query(max_length=35)] = None,
                         network: Annotated[str | None, Query(max_length=64)] = None,
                         page: Annotated[int, Query(ge=1, le=1000)] = 1):
    query = {"q": q, "region": region, "kind": kind, "language": language, "network": network,
             "limit": PAGE + 1, "offset": (page - 1) * PAGE}
    found = await rpc.members.directory({name: value for name, value in query.items() if value})
    # an organizer's answer has every field of the record: the page shows the public ones to everyone
    entries = [DirectoryEntry.model_validate({name: entry.get(name) for name in DirectoryEntry.model_fields
                                              if name in entry}) for entry in found]
    return pages_of(request).render(request, "groups.html", entries=entries[:PAGE],
                                    previous_page=_page(request, page - 1) if page > 1 else None,
                                    next_page=_page(request, page + 1) if len(entries) > PAGE else None,
                                    q=q or "", region=region, kind=kind, language_filter=language or "",
                                    network=network or "", regions=list(Region), group_kinds=list(GroupKind))
