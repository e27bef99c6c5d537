"""The case file a job coach keeps, read from the registry: what was found, planned, adapted, with whom.

The registry is the long-term record (the workflow's history expires); every part here was
projected from the case's events. Reading the whole file is an act on the case, journaled with
who read it (health data: every view is in the access log).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from activities.registry.acts import record_act
from activities.registry.schema import (
    Adaptation,
    Beneficiary,
    Case,
    CasePartner,
    Evaluation,
    EvidenceFile,
    EvidenceRecord,
    Objective,
    Organisation,
    ProfessionalProject,
    Review,
    SupportRequest,
    Training,
)
from workflows.case.events import CaseFileViewed
from workflows.case.model import Actor, Funder

FUNDER_OF_SECTOR: dict[str, Funder] = {"private": Funder.AGEFIPH, "public": Funder.FIPHFP}
"""Who funds a workplace adaptation beyond the employer: Agefiph in the private sector, FIPHFP in the public one."""


class CaseUnknown(Exception):
    pass


def _columns(row: Any, *skip: str) -> dict[str, Any]:
    return {column.name: getattr(row, column.name) for column in row.__table__.columns if column.name not in ("id", "case_id", *skip)}


def _all(session: Session, table: type[Any], case_id: str, *skip: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(table).where(table.case_id == case_id).order_by(table.id))
    return [_columns(row, *skip) for row in rows]


def case_file(engine: Engine, case_id: str, reader: Actor) -> dict[str, Any]:
    """The whole file of a case (the health free text opened), and the view journaled."""
    with Session(engine) as session, session.begin():
        case = session.get(Case, case_id)
        if case is None:
            raise CaseUnknown(f"no case {case_id} in the registry")
        person = session.get(Beneficiary, case.beneficiary_id) if case.beneficiary_id else None
        partners = session.execute(select(CasePartner.partner_id, Organisation.name, Organisation.partner_kind).join(
            Organisation, Organisation.id == CasePartner.partner_id, isouter=True).where(CasePartner.case_id == case_id)).all()  # fmt: skip
        scans = {row.id: row for row in session.scalars(select(EvidenceFile).where(EvidenceFile.case_id == case_id))}
        evidence = _all(session, EvidenceRecord, case_id, "seq")
        for item in evidence:
            scan = scans.get(item["file_id"] or "")
            item["file"] = {"content_type": scan.content_type, "size": scan.size} if scan else None
        file = {
            "case_id": case.id,
            "person": f"{person.first_name} {person.last_name}" if person else None,
            "phase": case.phase,
            "referent_id": case.referent_id,
            "employer_id": case.employer_id,
            "evidence": evidence,
            "evaluations": _all(session, Evaluation, case_id, "seq", "at"),
            "projects": _all(session, ProfessionalProject, case_id, "seq", "at"),
            "objectives": _all(session, Objective, case_id, "seq"),
            "adaptations": _all(session, Adaptation, case_id, "seq"),
            "trainings": _all(session, Training, case_id, "seq"),
            "reviews": [r for r in _all(session, Review, case_id, "seq", "at") if r["held_on"] or r["notes"]],
            "partners": [{"partner_id": p, "name": name, "kind": kind} for p, name, kind in partners],
            "referrals": [{"request_id": r.request_id, "partner_id": r.partner_id} for r in session.scalars(
                select(SupportRequest).where(SupportRequest.case_id == case_id, SupportRequest.partner_id.is_not(None)))],  # fmt: skip
        }
        record_act(session, case, CaseFileViewed(), reader)
    return file


def adaptation_employer(engine: Engine, case_id: str, adaptation_id: str | None) -> str | None:
    """The employer an adaptation is about (the case's current one for a new proposal)."""
    with Session(engine) as session:
        if adaptation_id is not None:
            employer = session.scalar(select(Adaptation.employer_id).where(Adaptation.case_id == case_id,
                                                                           Adaptation.adaptation_id == adaptation_id))  # fmt: skip
            if employer is not None:
                return employer
        case = session.get(Case, case_id)
        return case.employer_id if case else None


def sector_funder(engine: Engine, employer_id: str | None) -> Funder | None:
    """Agefiph or FIPHFP, from the employer's sector in the directory; None when the sector is not known."""
    if employer_id is None:
        return None
    with Session(engine) as session:
        employer = session.get(Organisation, employer_id)
    return FUNDER_OF_SECTOR.get(employer.sector or "") if employer else None


def funder_refusal(engine: Engine, employer_id: str | None, funder: Funder) -> str | None:
    """Agefiph funds private employers' adaptations, FIPHFP public ones': the other is refused."""
    expected = sector_funder(engine, employer_id)
    if funder in FUNDER_OF_SECTOR.values() and expected is not None and funder is not expected:
        return f"employer {employer_id} is in the {'public' if expected is Funder.FIPHFP else 'private'} sector: {expected} funds its adaptations, not {funder}"
    return None
