"""What the members service forgets when a person is erased, beyond blanking their row
(`operations.erase`): every place here that holds their address or name is listed in `forget`."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.members.models import MemberRow, commands, outbox
from shared.contracts.members import MemberErased
from shared.erasure import ErasedPerson, forget_in_command_results, forget_in_outbox


def person_of(row: MemberRow) -> tuple[ErasedPerson, set[str]]:
    """Who is being erased, read before the row is blanked: digests, and the addresses as stored."""
    names = [row.display_name, *(row.name or {}).values()]
    addresses = {a for a in (row.email, row.contact_email) if a}
    return ErasedPerson.known_as(row.email or row.contact_email, names), addresses


def forget(session: Session, member_id: str, person: ErasedPerson, addresses: set[str]) -> MemberErased:
    """In the erasure's transaction: the outbox rows about the person (a renewal reminder carries their
    address and name), published or waiting. Returns the event that tells the other services."""
    forget_in_outbox(session, outbox.table, person, addresses)
    forget_in_command_results(session, commands.table, person)  # a member's record as created or changed
    return MemberErased(member_id=member_id, email_sha256=person.email_sha256, name_sha256=sorted(person.name_sha256))
