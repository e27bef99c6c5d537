"""The parties to cases who are not staff — the person, their legal representative, an employer —
and how they sign in: a link sent to the e-mail address the registry holds for them.

A link is single use, valid for minutes, bound to one party and to the browser that asked for it
(a random cookie whose hash the link row keeps), and asked for at most a few times per address.
Whoever asks, the answer is the same, so an address tells nothing about who is in the registry.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from activities.registry.accounts import Throttled, attempt_keys, throttled
from activities.registry.database import utc
from activities.registry.schema import Attempt, Beneficiary, Case, Employment, LegalRepresentative, Organisation, PortalLink
from workflows.case.model import Actor, ActorRole

LINK_VALID = timedelta(minutes=15)
LINKS_PER_ADDRESS, LINKS_PER_NETWORK_ADDRESS = 3, 10
"""Links asked for within the throttling window, per e-mail address and per network address."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Party:
    actor: Actor
    name: str
    address: str


def parties_at(session: Session, email: str) -> list[Party]:
    """Every party whose e-mail address in the registry is this one."""
    folded = email.strip().lower()
    found = [Party(Actor(role=ActorRole.EMPLOYER, id=o.id), o.name, o.email or "")
             for o in session.scalars(select(Organisation).where(Organisation.kind == "employer", func.lower(Organisation.email) == folded))]
    found += [Party(Actor(role=ActorRole.BENEFICIARY, id=b.id), f"{b.first_name} {b.last_name}", b.email or "")
              for b in session.scalars(select(Beneficiary).where(func.lower(Beneficiary.email) == folded, Beneficiary.anonymised_at.is_(None)))]
    found += [Party(Actor(role=ActorRole.LEGAL_REPRESENTATIVE, id=r.id), f"{r.first_name} {r.last_name}", r.email or "")
              for r in session.scalars(select(LegalRepresentative).where(func.lower(LegalRepresentative.email) == folded))]
    return found  # fmt: skip


@dataclass(frozen=True)
class Link:
    party: Party
    token: str
    """Goes in the e-mail only."""


def ask_links(engine: Engine, email: str, network_address: str, browser: str, now: datetime) -> list[Link]:
    """A link for each party at this address (none when the address is unknown); Throttled when
    this address or this network address asked too often."""
    keys = attempt_keys("link", email, network_address, LINKS_PER_ADDRESS, LINKS_PER_NETWORK_ADDRESS)
    with Session(engine) as session, session.begin():
        if throttled(session, keys, now):
            raise Throttled()
        session.add_all(Attempt(key=key, at=now) for key in keys)
        links = [Link(party, secrets.token_urlsafe(32)) for party in parties_at(session, email)]
        session.add_all(PortalLink(token_hash=_digest(link.token), role=link.party.actor.role.value, party_id=link.party.actor.id,
                                   browser_hash=_digest(browser), created_at=now, expires_at=now + LINK_VALID) for link in links)  # fmt: skip
        return links


def open_link(engine: Engine, token: str, browser: str, now: datetime) -> Actor | None:
    """The party this link signs in, once: None when it is unknown, used, expired, or opened in
    another browser than the one that asked for it."""
    with Session(engine) as session, session.begin():
        row = session.get(PortalLink, _digest(token))
        if row is None or row.used_at is not None or utc(row.expires_at) < now or not secrets.compare_digest(row.browser_hash, _digest(browser)):
            return None
        used = session.execute(update(PortalLink).where(PortalLink.token_hash == row.token_hash, PortalLink.used_at.is_(None))
                               .values(used_at=now))  # fmt: skip
        if used.rowcount != 1:  # opened twice at the same instant: the other one won
            return None
        return Actor(role=ActorRole(row.role), id=row.party_id)


def cases_of(session: Session, party: Actor) -> list[Case]:
    """The open cases this party may see: the person's own, the represented person's, an employer's
    where it is a party (the current employer, or a job held)."""
    query = select(Case).where(Case.closed_at.is_(None))
    if party.role is ActorRole.BENEFICIARY:
        query = query.where(Case.beneficiary_id == party.id)
    elif party.role is ActorRole.LEGAL_REPRESENTATIVE:
        represented = select(LegalRepresentative.beneficiary_id).where(LegalRepresentative.id == party.id)
        query = query.where(Case.beneficiary_id.in_(represented))
    elif party.role is ActorRole.EMPLOYER:
        holding = select(Employment.case_id).where(Employment.employer_id == party.id, Employment.ended_on.is_(None))
        query = query.where(or_(Case.employer_id == party.id, Case.id.in_(holding)))
    else:
        return []
    return list(session.scalars(query.order_by(Case.opened_at)))


def party_name(session: Session, party: Actor) -> str:
    table = {ActorRole.EMPLOYER: Organisation, ActorRole.BENEFICIARY: Beneficiary, ActorRole.LEGAL_REPRESENTATIVE: LegalRepresentative}
    row = session.get(table[party.role], party.id)
    if row is None:
        return party.id
    return row.name if isinstance(row, Organisation) else f"{row.first_name} {row.last_name}"
