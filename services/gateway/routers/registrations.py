"""Registrations: anyone registers for a published event; the registrant manages theirs through the
secret link they were given; organizers see, export, approve and cancel."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from services.gateway.deps import Rpc
from services.gateway.throttle import Throttled
from shared.contracts.events import (
    AttendeesUpdate,
    RegistrationReceipt,
    RegistrationRequest,
    RegistrationView,
    SessionNeeds,
)

router = APIRouter(tags=["registrations"])
Token = Annotated[str | None, Query(description="The secret from the registrant's manage link",
                                    max_length=100)]


class Receipt(RegistrationReceipt):
    manage_url: str


@router.post("/events/{event_id}/registrations", status_code=201, response_model=Receipt,
             dependencies=[Depends(Throttled("registration", setting="registrations_per_minute"))],
             summary="Register (status: confirmed, waitlisted or pending); keep `manage_token` to change or cancel")
async def register(event_id: str, request: RegistrationRequest, rpc: Rpc, http: Request):
    receipt = await rpc.events.register(event_id, request.to_wire())
    base = http.app.state.settings.gateway_url
    receipt["manage_url"] = f"{base}/registrations/{receipt['id']}?token={receipt['manage_token']}"
    # The service built the receipt from its contract: sent as it is, not validated a second time.
    return JSONResponse(receipt, status_code=201, headers={"Location": f"/registrations/{receipt['id']}"})


@router.get("/registrations/{registration_id}", response_model=RegistrationView,
            summary="A registration, for its registrant (with ?token=) or an organizer")
async def get_registration(registration_id: str, rpc: Rpc, token: Token = None):
    return await rpc.events.get_registration(registration_id, token)


@router.get("/members/{member_id}/delegations", response_model=list[RegistrationView],
            summary="A member group's delegations to every event, newest first (its contacts, the secretariat)")
async def group_delegations(member_id: str, rpc: Rpc):
    return await rpc.events.group_delegations(member_id)


@router.get("/me/registrations", response_model=list[RegistrationView],
            summary="One's own registrations (made for oneself with the address one is signed in with)")
async def own_registrations(rpc: Rpc):
    return await rpc.events.own_registrations()


@router.delete("/registrations/{registration_id}", response_model=RegistrationView,
               summary="Cancel a registration (with ?token= or as an organizer); the place goes to the waiting list")
async def cancel_registration(registration_id: str, rpc: Rpc, token: Token = None):
    return await rpc.events.cancel_registration(registration_id, token)


@router.put("/registrations/{registration_id}/attendees", response_model=RegistrationView,
            summary="Name or rename a delegation's attendees, until the event's deadline")
async def update_attendees(registration_id: str, update: AttendeesUpdate, rpc: Rpc,
                           token: Token = None):
    return await rpc.events.update_attendees(registration_id, update.to_wire(), token)


@router.post("/registrations/{registration_id}/approve", response_model=RegistrationView,
             summary="Approve a pending registration (organizers)")
async def approve(registration_id: str, rpc: Rpc):
    return await rpc.events.decide_registration(registration_id, True)


@router.post("/registrations/{registration_id}/reject", response_model=RegistrationView,
             summary="Reject a pending registration (organizers)")
async def reject(registration_id: str, rpc: Rpc):
    return await rpc.events.decide_registration(registration_id, False)


@router.get("/events/{event_id}/registrations", response_model=list[RegistrationView],
            summary="Every registration of an event, in arrival order (organizers)")
async def list_registrations(event_id: str, rpc: Rpc):
    return await rpc.events.list_registrations(event_id)


@router.get("/events/{event_id}/registrations.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}},
            summary="Registrations as CSV for Excel: UTF-8 with BOM, formula-safe (organizers)")
async def registrations_csv(event_id: str, rpc: Rpc):
    body = await rpc.events.registrations_csv(event_id)
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="registrations-{event_id}.csv"'})


@router.get("/events/{event_id}/needs", response_model=list[SessionNeeds],
            summary="Attendees' needs totalled per session (organizers)")
async def needs(event_id: str, rpc: Rpc):
    return await rpc.events.needs_summary(event_id)


