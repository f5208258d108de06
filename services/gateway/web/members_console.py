"""The organizers' console, members: find members of one's scope, the annual report's table for a date
beside the same date a year earlier, add a group or an individual, change one, add a membership or
subscription period; and (the secretariat) import a spreadsheet — upload, read the dry run's report
(each rejected line, its field and why), then import the very file that was checked."""
from __future__ import annotations

import asyncio
import base64
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.gateway.deps import Rpc
from services.gateway.web.forms import FormToken, check_form_token, posted_form, posted_text, refusals
from services.gateway.web.templating import pages_of
from shared.contracts.members import (
    DuesStatus,
    GroupKind,
    ImportJobStatus,
    ImportJobView,
    IndividualDraft,
    MemberDate,
    MemberGroupDraft,
    MembershipDraft,
    MembershipType,
    MemberStats,
    MemberView,
    Visibility,
)
from shared.contracts.vocabulary import Region
from shared.errors import Conflict, Invalid

router = APIRouter(include_in_schema=False)
FOUND_AT_MOST = 200  # a search shows this many; a longer list is the CSV export's
MEMBER_FIELDS = ("name_ja", "name_en", "kind", "display_name", "email", "contact_email", "preferred_language", "region",
                 "visibility")
MEMBERSHIP_FIELDS = ("type", "units", "starts_on", "ends_on", "fiscal_year", "dues_status")


def _member_fields(data: FormData, member_kind: str) -> dict:
    """The member form as a draft (or a patch) reads it; empty fields left out."""
    if member_kind == "group":
        name = {language: text for language in ("ja", "en") if (text := posted_text(data, f"name_{language}"))}
        fields: dict = {"name": name, "kind": posted_text(data, "kind"), "region": posted_text(data, "region"),
                        "visibility": posted_text(data, "visibility")}
        if contact := posted_text(data, "contact_email"):
            fields["contact_email"] = contact
        return fields
    fields = {"display_name": posted_text(data, "display_name"), "email": posted_text(data, "email"),
              "preferred_language": posted_text(data, "preferred_language") or "ja"}
    if region := posted_text(data, "region"):
        fields["region"] = region
    return fields


def _member_field(where: str | None) -> str:
    head = (where or "").split(".")[0]
    if head == "name":
        return "name_ja"
    return head if head in MEMBER_FIELDS or head in MEMBERSHIP_FIELDS else ""


def _values_of(member: MemberView) -> dict[str, str]:
    return {"name_ja": member.name.get("ja", ""), "name_en": member.name.get("en", ""),
            "kind": member.kind.value if member.kind else "", "display_name": member.display_name or "",
            "email": member.email or "", "contact_email": member.contact_email or "",
            "preferred_language": member.preferred_language or "",
            "region": member.region.value if member.region else "",
            "visibility": member.visibility.value if member.visibility else ""}


def _choices() -> dict:
    return {"regions": list(Region), "group_kinds": list(GroupKind), "visibilities": list(Visibility),
            "membership_types": list(MembershipType), "dues_statuses": list(DuesStatus)}


@router.get("/console/members")
async def members(request: Request, rpc: Rpc, q: Annotated[str | None, Query(max_length=100)] = None,
                  region: Region | None = None, as_of: MemberDate | None = None):
    query = {"q": q, "region": region.value if region else None, "limit": FOUND_AT_MOST}
    listed, counted = await asyncio.gather(rpc.members.directory({k: v for k, v in query.items() if v is not None}),
                                           rpc.members.stats(as_of.isoformat() if as_of else None))
    found = [MemberView.model_validate(each) for each in listed]
    stats = MemberStats.model_validate(counted)
    return pages_of(request).render(request, "console_members.html", private=True, found=found, q=q or "",
                                    region=region, regions=list(Region), stats=stats, shown_most=FOUND_AT_MOST)


def _new_member_page(request: Request, member_kind: str, values: dict, errors: dict, status: int = 200):
    return pages_of(request).render(request, "console_member_new.html", status=status, private=True,
                                    here=f"/console/members/new?kind={member_kind}", member_kind=member_kind,
                                    values=values, errors=errors, **_choices())


@router.get("/console/members/new")
async def new_member_page(request: Request, kind: Annotated[str, Query(pattern="^(group|individual)$")] = "group"):
    return _new_member_page(request, kind, {"visibility": Visibility.PUBLIC.value}, {})


@router.post("/console/members/new")
async def new_member(request: Request, rpc: Rpc,
                     kind: Annotated[str, Query(pattern="^(group|individual)$")] = "group"):
    data, values = await posted_form(request)
    try:
        if kind == "group":
            created = await rpc.members.create_group(MemberGroupDraft.model_validate(
                _member_fields(data, kind)).to_wire())
        else:
            created = await rpc.members.create_individual(IndividualDraft.model_validate(
                _member_fields(data, kind)).to_wire())
    except (ValidationError, Invalid) as refused:
        return _new_member_page(request, kind, values, refusals(refused, _member_field), status=422)
    return RedirectResponse(f"/console/members/{created['id']}", status_code=303)


# --- importing a spreadsheet (the secretariat) ---------------------------------------------------

@router.get("/console/members/import")
async def import_page(request: Request):
    return pages_of(request).render(request, "console_import.html", private=True, job=None, refusal=None,
                                    refresh=False)


@router.post("/console/members/import")
async def upload(request: Request, rpc: Rpc, form_token: FormToken, spreadsheet: Annotated[UploadFile, File()],
                 check_first: Annotated[str, Form()] = ""):
    check_form_token(request, form_token)
    content = await spreadsheet.read()
    try:
        if not content:
            raise Invalid("choose the file to import", "spreadsheet")
        job = ImportJobView.model_validate(await rpc.members.start_import(
            base64.b64encode(content).decode(), check_first == "yes"))
    except Invalid as refused:
        return pages_of(request).render(request, "console_import.html", status=422, private=True, job=None,
                                        refusal=refused.detail, refresh=False)
    return RedirectResponse(f"/console/members/import/{job.id}", status_code=303)


@router.get("/console/members/import/{job_id}")
async def import_job(job_id: str, request: Request, rpc: Rpc):
    job = ImportJobView.model_validate(await rpc.members.import_job(job_id))
    under_way = job.status in (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)
    return pages_of(request).render(request, "console_import.html", private=True, job=job, refusal=None,
                                    refresh=under_way)


@router.post("/console/members/import/{job_id}/import")
async def import_checked(job_id: str, request: Request, rpc: Rpc, form_token: FormToken):
    check_form_token(request, form_token)
    try:
        job = ImportJobView.model_validate(await rpc.members.import_checked(job_id))
    except Conflict as refused:
        checked = ImportJobView.model_validate(await rpc.members.import_job(job_id))
        return pages_of(request).render(request, "console_import.html", status=409, private=True, job=checked,
                                        refusal=refused.detail, refresh=False)
    return RedirectResponse(f"/console/members/import/{job.id}", status_code=303)


# --- one member ----------------------------------------------------------------------------------

async def _member_page(request: Request, rpc: Rpc, member_id: str, values: dict | None = None,
                       errors: dict | None = None, status: int = 200):
    member = MemberView.model_validate(await rpc.members.get_member(member_id))
    periods = sorted(member.memberships, key=lambda period: period.starts_on, reverse=True)
    today = date.today()
    proposed = {"type": MembershipType.MEMBER.value, "units": "1", "dues_status": DuesStatus.UNPAID.value,
                "starts_on": today.isoformat(), "ends_on": today.replace(year=today.year + 1).isoformat()}
    return pages_of(request).render(request, "console_member.html", status=status, private=True,
                                    here=f"/console/members/{member_id}", member=member, periods=periods,
                                    values={**_values_of(member), **proposed, **(values or {})},
                                    errors=errors or {}, **_choices())


@router.get("/console/members/{member_id}")
async def member_page(member_id: str, request: Request, rpc: Rpc):
    return await _member_page(request, rpc, member_id)


@router.post("/console/members/{member_id}")
async def change_member(member_id: str, request: Request, rpc: Rpc):
    data, values = await posted_form(request)
    member = MemberView.model_validate(await rpc.members.get_member(member_id))
    draft = MemberGroupDraft if member.member_kind == "group" else IndividualDraft
    fields = _member_fields(data, member.member_kind)
    try:
        draft.model_validate(fields)  # the whole form checked as a new member's would be, each refusal placed
        await rpc.members.patch_member(member_id, fields)
    except (ValidationError, Invalid) as refused:
        return await _member_page(request, rpc, member_id, values, refusals(refused, _member_field), status=422)
    return RedirectResponse(f"/console/members/{member_id}", status_code=303)


@router.post("/console/members/{member_id}/memberships")
async def add_period(member_id: str, request: Request, rpc: Rpc):
    data, values = await posted_form(request)
    period = {name: text for name in MEMBERSHIP_FIELDS if (text := posted_text(data, name))}
    try:
        await rpc.members.add_membership(member_id, MembershipDraft.model_validate(period).to_wire())
    except (ValidationError, Invalid, Conflict) as refused:
        errors = ({_member_field(refused.field): refused.detail} if isinstance(refused, Conflict)
                  else refusals(refused, _member_field))
        return await _member_page(request, rpc, member_id, values, errors, status=refused.status
                                  if isinstance(refused, Conflict) else 422)
    return RedirectResponse(f"/console/members/{member_id}#periods", status_code=303)
