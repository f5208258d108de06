"""The directory (public) and the members' records (organizers)."""
from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.gateway.body_limit import upload_limit_text
from services.gateway.deps import Rpc
from shared.contracts.members import (
    DIRECTORY_OFFSET_MAX,
    DirectoryEntry,
    GroupKind,
    ImportJobView,
    IndividualDraft,
    MemberDate,
    MemberGroupDraft,
    MemberPatch,
    MembershipDraft,
    MembershipView,
    MemberStats,
    MemberView,
    RenewalView,
)
from shared.contracts.vocabulary import Region
from shared.errors import Invalid

router = APIRouter(tags=["members"])
IMPORT_LIMIT = upload_limit_text("POST", "/members/import")  # enforced while the body is read (body_limit)


@router.get("/directory", response_model=list[DirectoryEntry] | list[MemberView],
            summary="Member groups (and individuals who opted in): public fields only (members also see the groups "
                    "shown to members only), unless an organizer asks")
async def directory(rpc: Rpc,
                    q: Annotated[str | None,
                                 Query(max_length=100, description="Part of a name, Japanese or English")] = None,
                    region: Region | None = None, network: Annotated[str | None, Query(max_length=64)] = None,
                    language: Annotated[str | None,
                                        Query(max_length=35, description="A language the group helps in")] = None,
                    kind: GroupKind | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                    offset: Annotated[int, Query(ge=0, le=DIRECTORY_OFFSET_MAX)] = 0):
    query = {"q": q, "region": region, "network": network, "language": language, "kind": kind,
             "limit": limit, "offset": offset}
    return await rpc.members.directory({k: v for k, v in query.items() if v is not None})


@router.get("/members/stats", response_model=MemberStats,
            summary="Members and units, subscribers and subscriptions, as of a date and a year earlier (organizers)")
async def stats(rpc: Rpc, as_of: MemberDate | None = None):
    return await rpc.members.stats(as_of.isoformat() if as_of else None)


@router.get("/members/renewals", response_model=list[RenewalView], summary="Memberships due for renewal (organizers)")
async def renewals(rpc: Rpc, due_before: MemberDate):
    return await rpc.members.renewals(due_before.isoformat())


@router.post("/members/import", status_code=202, response_model=ImportJobView, openapi_extra={"requestBody": {
                 "required": True, "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}},
             summary="Import a CSV sent as the request body, in the background (organizers): poll the job",
             description=f"UTF-8 (with or without BOM), Shift_JIS, or UTF-16 with BOM (tab-separated, as Excel's "
                         f"\"Unicode text\"); at most {IMPORT_LIMIT} (413 above). "
                         "A file that cannot be read at all is refused at once (422); otherwise the answer is "
                         "a job (202, `Location`) whose `report` names each rejected line once it is finished.")
async def import_members(request: Request, rpc: Rpc, response: Response,
                         dry_run: Annotated[bool, Query(description="Check and count, change nothing")] = False):
    body = await request.body()
    if not body:
        raise Invalid("send the CSV file as the request body", "body")
    job = await rpc.members.start_import(base64.b64encode(body).decode(), dry_run)
    response.headers["Location"] = f"/members/import-jobs/{job['id']}"
    return job


@router.get("/members/import-jobs/{job_id}", response_model=ImportJobView,
            summary="An import's progress and, once finished, its report (organizers)")
async def import_job(job_id: str, rpc: Rpc):
    return await rpc.members.import_job(job_id)


@router.post("/members/import-jobs/{job_id}/import", status_code=202, response_model=ImportJobView,
             summary="Import the file a finished dry run checked, without sending it again (organizers): a new "
                     "job to poll",
             description="A dry run keeps its file for an hour, until it is imported once; after that: 409, "
                         "send the file again.")
async def import_checked(job_id: str, rpc: Rpc, response: Response):
    job = await rpc.members.import_checked(job_id)
    response.headers["Location"] = f"/members/import-jobs/{job['id']}"
    return job


@router.get("/members/export.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}},
            summary="Every member and membership as CSV for Excel (organizers)")
async def export(rpc: Rpc):
    return Response((await rpc.members.export_csv()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="members.csv"'})


@router.post("/members/groups", status_code=201, response_model=MemberView, summary="Add a member group (organizers)")
async def create_group(draft: MemberGroupDraft, rpc: Rpc, response: Response):
    created = await rpc.members.create_group(draft.to_wire())
    response.headers["Location"] = f"/members/{created['id']}"
    return created


@router.post("/members/individuals", status_code=201, response_model=MemberView,
             summary="Add an individual (organizers); private unless they opt in")
async def create_individual(draft: IndividualDraft, rpc: Rpc, response: Response):
    created = await rpc.members.create_individual(draft.to_wire())
    response.headers["Location"] = f"/members/{created['id']}"
    return created


@router.get("/members/{member_id}", response_model=MemberView,
            summary="A member, with memberships (organizers; a group's own contacts)")
async def get_member(member_id: str, rpc: Rpc):
    return await rpc.members.get_member(member_id)


@router.patch("/members/{member_id}", response_model=MemberView,
              summary="Change a member (organizers; a group's own contacts: its entry)")
async def patch_member(member_id: str, patch: MemberPatch, rpc: Rpc):
    return await rpc.members.patch_member(member_id, patch.model_dump(mode="json", exclude_unset=True))


@router.post("/members/{member_id}/memberships", status_code=201, response_model=MembershipView,
             responses={200: {"description": "The same period was there already: the existing one"},
                        409: {"description": "Another period of this type starts that day (named in the detail)"}},
             summary="Add a membership or subscription period (organizers); the same period again changes nothing")
async def add_membership(member_id: str, draft: MembershipDraft, rpc: Rpc, response: Response):
    added = await rpc.members.add_membership(member_id, draft.to_wire())
    if not added["created"]:
        response.status_code = 200
    return added["membership"]


@router.post("/members/{member_id}/erase", response_model=MemberView,
             summary="Erase a person's personal data here and in every service (organizers)")
async def erase(member_id: str, rpc: Rpc):
    return await rpc.members.erase(member_id)
