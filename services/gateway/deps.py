"""What routes ask FastAPI for, named once: `rpc: Rpc` to call the services, `_: Organizer` for
organizer-only routes, `organizer: MaybeOrganizer` where organizers see more."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.gateway.auth import is_organizer, require_organizer
from services.gateway.rpc import Services, services

Rpc = Annotated[Services, Depends(services)]
Organizer = Annotated[None, Depends(require_organizer)]
MaybeOrganizer = Annotated[bool, Depends(is_organizer)]
