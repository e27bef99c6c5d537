"""Which cases a member of staff reaches, and as whom they act on them.

A référent reaches the cases they follow, a coordinator every case of their structure, an admin
none. A case outside one's reach is answered exactly as a case that does not exist (404), so an
id guessed or copied tells nothing. The actor sent to the workflow is the signed-in account;
the workflow's permission table then decides each step.
"""

from __future__ import annotations

from activities.registry.accounts import StaffMember, StaffRole
from activities.registry.desk import Scope
from starter.reads import CaseNotFound, case_status
from web.state import Web
from workflows.case.model import Actor, ActorRole, CaseState


class CaseHidden(Exception):
    """No such case for this member: absent, or someone else's (the page says the same)."""


def actor_of(member: StaffMember) -> Actor | None:
    """A référent acts under their directory id, a coordinator under their account's; an admin never acts on a case."""
    if member.role is StaffRole.REFERENT and member.referent_id:
        return Actor(role=ActorRole.REFERENT, id=member.referent_id)
    if member.role is StaffRole.COORDINATOR:
        return Actor(role=ActorRole.COORDINATOR, id=member.id)
    return None


def desk_scope(member: StaffMember) -> Scope | None:
    if member.structure_id is None or member.role is StaffRole.ADMIN:
        return None
    return Scope(member.structure_id, member.referent_id if member.role is StaffRole.REFERENT else None)


def reaches(member: StaffMember, state: CaseState) -> bool:
    scope = desk_scope(member)
    if scope is None or state.structure_id != scope.structure_id:
        return False
    return scope.referent_id is None or state.referent_id == scope.referent_id


async def visible_case(web: Web, member: StaffMember, case_id: str) -> CaseState:
    """The case's live state, if this member reaches it; CaseHidden otherwise."""
    if desk_scope(member) is None:
        raise CaseHidden()
    try:
        state = await case_status(await web.client(), case_id)
    except (CaseNotFound, ValueError):
        raise CaseHidden() from None
    if not reaches(member, state):
        raise CaseHidden()
    return state
