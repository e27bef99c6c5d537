"""The funders' activity report (State, Agefiph, FIPHFP), computed from the registry.

Every figure is defined here once, in the description of its field (in French: funders read it),
and the HTML report and the CSV print that definition under the figure. A period not yet ended is counted up to the moment of the report: no figure
counts a day that has not happened. The computation reads the registry's tables with plain queries and works in
Python on a few columns per row: a platform of 10,000 cases reports in well under five seconds.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, TypeVar

from pydantic import Field
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from activities.registry.database import utc
from activities.registry.schema import (
    Adaptation,
    Case,
    Contact,
    Employment,
    Evaluation,
    IntensityChange,
    JournalRow,
    Organisation,
    Prescription,
    ProfessionalProject,
    SupportRequest,
    Training,
)
from workflows.case.model import ClosureReason, Model
from workflows.contracts import Period

SERVICES = {
    "evaluation": "Évaluation de la situation",
    "project": "Projet professionnel",
    "job_search": "Recherche d'emploi",
    "in_job_support": "Accompagnement dans l'emploi",
}
"""The four prestations (D5213-88), each counted from what was done, never from the phase visited."""
SERVICE_RULES = {
    "evaluation": "une évaluation terminée pendant la période, avec ses constats enregistrés (capacités, besoins, contraintes, "
                  "besoins de l'employeur ou outils utilisés)",
    "project": "un projet professionnel convenu pendant la période, avec au moins une étape",
    "job_search": "un employeur prospecté pour la personne, ou une embauche, pendant la période",
    "in_job_support": "pendant la période : une adaptation du poste (une de ses étapes), une formation ou un bilan de compétences, "
                      "une demande de l'employeur traitée, ou un contact sur le lieu de travail, avec l'employeur ou le médecin du travail",
}  # fmt: skip
AGE_BANDS = ((16, 25), (26, 35), (36, 45), (46, 55), (56, 200))
FIRST_CONTACT_WITHIN = timedelta(days=30)
IN_JOB_CONTACTS = ("workplace", "employer", "occupational_physician")


class DurationStats(Model):
    count: int = 0
    median_days: float | None = None
    mean_days: float | None = None

    @classmethod
    def of(cls, days: list[float]) -> DurationStats:
        if not days:
            return cls()
        return cls(count=len(days), median_days=round(statistics.median(days), 1), mean_days=round(statistics.fmean(days), 1))


class RequestFigures(Model):
    kind: str
    received: int
    answered: int
    answered_in_time: int
    median_response_hours: float | None


class Outcomes(Model):
    """Outcome measures of supported-employment research (IPS): job seekers' access to a job, employees' holding theirs."""

    job_seekers: int = Field(description="Personnes de la file active sans emploi à l'ouverture de leur dossier.")
    employed_any_time: int = Field(description="Personnes entrées sans emploi qui ont eu un emploi à un moment de la période.")
    employed_rate: float | None = Field(description="En emploi à un moment de la période, rapporté aux personnes entrées sans emploi.")
    days_to_first_job: DurationStats = Field(description="De l'ouverture du dossier au premier jour du premier emploi (personnes entrées sans emploi).")
    longest_tenure: DurationStats = Field(description="Jours dans l'emploi tenu le plus longtemps, comptés jusqu'à la fin de la période (aujourd'hui, pour une période en cours).")
    mean_weekly_hours: float | None = Field(description="Moyenne, sur les personnes entrées sans emploi et en emploi pendant la période, de leurs heures hebdomadaires contractuelles : des emplois tenus en même temps s'additionnent (au plus haut).")
    weeks_worked: float = Field(description="Semaines en emploi pendant la période (jusqu'à aujourd'hui pour une période en cours), toutes les personnes entrées sans emploi ensemble (deux emplois à la fois comptent une fois).")
    first_employer_contact_eligible: int = Field(description="Personnes entrées sans emploi dont le premier mois s'est achevé pendant la période.")
    first_employer_contact_in_month: int = Field(description="Parmi elles, celles pour qui un employeur a été contacté (prospection) dans les 30 jours de l'entrée.")
    entered_employed: int = Field(default=0, description="Personnes de la file active déjà en emploi à l'ouverture de leur dossier (salariés, agents publics).")
    employed_at_end: int = Field(default=0, description="Parmi elles, celles qui ont un emploi le dernier jour de la période, ou le jour de la clôture de leur dossier s'il a été clos avant (maintien dans l'emploi).")
    employed_at_end_rate: float | None = Field(default=None, description="Maintien dans l'emploi : en emploi en fin de période (ou à la clôture), rapporté aux personnes entrées en emploi.")
    job_ended: int = Field(default=0, description="Personnes entrées en emploi dont un emploi a pris fin pendant la période.")


class GroupFigures(Model):
    """The main figures of one group of the file active (a funder's, a prescriber's, an origin's)."""

    file_active: int = Field(default=0, description="Dossiers du groupe ouverts à un moment de la période.")
    entries: int = Field(default=0, description="Dossiers du groupe ouverts pendant la période.")
    exits: int = Field(default=0, description="Clôtures de dossiers du groupe pendant la période.")
    derogations: int = Field(default=0, description="Entrées du groupe admises par dérogation.")
    services: dict[str, int] = Field(default_factory=dict, description="Personnes du groupe ayant bénéficié de chaque prestation (règles des prestations).")


class FunderFigures(GroupFigures):
    """What falls to one funder: the people whose employer is in its sector, and what it paid for."""

    employed_people: int = Field(default=0, description="Personnes de la file active dont l'employeur actuel relève de ce financeur.")
    adaptations_funded: int = Field(default=0, description="Adaptations de poste financées par ce financeur pendant la période.")
    trainings: int = Field(default=0, description="Formations et bilans de compétences prévus ou suivis pendant la période, payés par ce financeur.")


G = TypeVar("G", bound=GroupFigures)
SECTOR_FUNDERS = {"private": "agefiph", "public": "fiphfp"}
"""Agefiph funds for private employers, FIPHFP for public ones (employer sector in the directory)."""
NO_EMPLOYER, SECTOR_NOT_RECORDED = "no_employer", "sector_not_recorded"


class ActivityReport(Model):
    structure_id: str | None
    period: Period
    produced_at: datetime
    file_active: int = Field(description="Dossiers ouverts à un moment quelconque de la période, quelle que soit leur étape (file active).")
    active_at_end: int = Field(description="Dossiers ouverts le dernier jour de la période.")
    entries: int = Field(description="Dossiers ouverts pendant la période.")
    entries_by_route: dict[str, int] = Field(description="Entrées par prescripteur : la CDAPH ou le service public de l'emploi (France Travail, Cap emploi, mission locale) ; première prescription du dossier.")
    entries_by_situation: dict[str, int] = Field(description="Entrées par situation de la personne (D5213-89) : RQTH, ESAT, salarié ou agent en emploi.")
    derogations: int = Field(default=0, description="Entrées admises hors des critères habituels, par dérogation d'un coordinateur.")
    entries_by_asker: dict[str, int] = Field(default_factory=dict, description="Entrées selon qui a demandé l'accompagnement : la personne, l'employeur, un prescripteur, autre.")
    exits: int = Field(description="Clôtures pendant la période : un dossier clos puis rouvert compte à chaque clôture.")
    exits_by_reason: dict[str, int] = Field(description="Clôtures de la période par motif.")
    support_of_exits: DurationStats = Field(description="Durée effective de l'accompagnement des sorties : de l'ouverture à la clôture, sans les périodes en veille.")
    support_of_active: DurationStats = Field(description="Durée effective de l'accompagnement, jusqu'ici, des dossiers ouverts en fin de période, sans les périodes en veille.")
    services: dict[str, int] = Field(description="Personnes ayant bénéficié de chaque prestation pendant la période, d'après ce qui a été fait : " + " ; ".join(f"{SERVICES[k].lower()} : {rule}" for k, rule in SERVICE_RULES.items()) + ".")
    acts: dict[str, int] = Field(default_factory=dict, description="Actes de la période : évaluations avec constats, projets avec étapes, adaptations de poste (une étape au moins pendant la période), formations et bilans (prévus ou suivis).")
    contacts_by_kind: dict[str, int] = Field(description="Contacts enregistrés pendant la période, par nature.")
    employer_requests: list[RequestFigures] = Field(description="Demandes des employeurs reçues pendant la période, par nature : traitées, traitées avant l'échéance, délai médian de réponse.")
    person_requests: int = Field(description="Demandes d'appui formulées par les personnes elles-mêmes pendant la période.")
    age_bands: dict[str, int] = Field(description="La file active par âge en fin de période.")
    situations: dict[str, int] = Field(description="La file active par situation (D5213-89).")
    intensity_at_end: dict[str, int] = Field(description="Dossiers ouverts en recherche d'emploi et dans l'emploi en fin de période, par intensité de l'accompagnement.")
    outcomes: Outcomes = Field(description="Résultats : l'accès à l'emploi des personnes entrées sans emploi, le maintien dans l'emploi de celles entrées en emploi.")
    caseload_over_time: list[tuple[date, int]] = Field(description="Dossiers ouverts à la fin de chaque mois de la période (aujourd'hui pour le mois en cours ; aucun mois à venir).")
    phases_at_end: dict[str, int] = Field(description="Dossiers ouverts en fin de période, par étape.")
    days_to_first_job: list[int] = Field(description="Une valeur par personne entrée sans emploi et embauchée : jours de l'entrée au premier emploi.")
    by_funder: dict[str, FunderFigures] = Field(default_factory=dict, description="Par financeur : Agefiph pour les personnes dont l'employeur (le plus récent de la période) est privé, FIPHFP pour un employeur public ; les personnes sans employeur, et celles dont l'employeur n'a pas de secteur renseigné, à part ; les adaptations et formations selon qui les a payées.")
    by_route: dict[str, GroupFigures] = Field(default_factory=dict, description="Par prescripteur (première prescription du dossier) : CDAPH, France Travail, Cap emploi, mission locale ; prescription à venir à part.")
    by_origin: dict[str, GroupFigures] = Field(default_factory=dict, description="Par origine de l'entrée : la personne, l'employeur, un prescripteur, autre.")

    @property
    def running(self) -> bool:
        """Produced before the period ended: its figures stop at `produced_at`."""
        return self.produced_at < self.period.until


@dataclass
class _Case:
    """What the report needs of one case, gathered from the tables."""

    id: str
    opened_at: datetime
    closed_at: datetime | None
    closure_reason: str | None
    situation: str | None
    birth_year: int | None
    employed_at_entry: bool = False
    asked_by: str | None = None
    derogation: bool = False
    prescriber: str | None = None
    prescribed_on: date | None = None
    referents: list[tuple[datetime, str | None]] = field(default_factory=list)
    """Each assignment of a référent, in order, from the opening."""
    employers: list[tuple[date, date | None, str]] = field(default_factory=list)
    """Each job's first and last day and employer, the job held at entry included (from the opening)."""
    phases: list[tuple[datetime, str]] = field(default_factory=list)
    """Each change of phase, in order, from the opening."""
    jobs: list[tuple[date, date | None, float | None]] = field(default_factory=list)
    dormant: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    intensity: list[tuple[datetime, str | None]] = field(default_factory=list)
    first_prospection: date | None = None
    closures: list[tuple[datetime, str]] = field(default_factory=list)
    """Each closure and its reason: a case closed and reopened keeps its earlier exits."""

    def open_during(self, since: datetime, until: datetime) -> bool:
        return self.opened_at < until and (self.closed_at is None or self.closed_at >= since)

    def open_at(self, moment: datetime) -> bool:
        return self.opened_at < moment and (self.closed_at is None or self.closed_at >= moment)

    def phase_at(self, moment: datetime) -> str | None:
        return _as_of(self.phases, moment)

    def referent_at(self, moment: datetime) -> str | None:
        return _as_of(self.referents, moment)

    def intensity_at(self, moment: datetime) -> str | None:
        return _as_of(self.intensity, moment)

    def phases_during(self, since: datetime, until: datetime) -> set[str]:
        seen = set()
        for index, (at, phase) in enumerate(self.phases):
            ends = self.phases[index + 1][0] if index + 1 < len(self.phases) else None
            if at < until and (ends is None or ends > since):
                seen.add(phase)
        return seen

    def employer_during(self, first_day: date, last_day: date) -> str | None:
        """The employer of the most recent job held during these days."""
        held = [(start, employer) for start, ended, employer in self.employers if start <= last_day and (ended is None or ended >= first_day)]
        return max(held)[1] if held else None

    def employed_on(self, day: date) -> bool:
        return any(start <= day and (ended is None or ended >= day) for start, ended, _employer in self.employers)

    def effective_days(self, until: datetime) -> float:
        """Days supported up to `until` (or the closure), dormant time left out."""
        end = min(self.closed_at, until) if self.closed_at else until
        dormant = sum(((min(stop or end, end) - start).total_seconds() for start, stop in self.dormant if start < end), 0.0)
        return max((end - self.opened_at).total_seconds() - dormant, 0.0) / 86400


def activity_report(session: Session, period: Period, structure_id: str | None = None, now: datetime | None = None) -> ActivityReport:
    """The report of `period`; one not yet ended is counted up to `now`, never over days still to come."""
    produced_at = now or datetime.now(timezone.utc)
    since, until = period.since, min(period.until, produced_at)
    last_day = (until - timedelta(microseconds=1)).date()
    """The last day the report counts, wholly or partly."""
    cases = gather(session, structure_id, until)
    active = [c for c in cases.values() if c.open_during(since, until)]
    entries = [c for c in active if c.opened_at >= since]
    exits = [(c, at, reason) for c in cases.values() for at, reason in c.closures if since <= at < until]
    open_at_end = [c for c in active if c.open_at(until)]
    seekers = [c for c in active if not c.employed_at_entry]
    in_scope = {c.id: c for c in active}
    services, acts = _services(session, in_scope, period.start, last_day)
    group = _Grouping(since, until, services, exits)
    return ActivityReport(
        structure_id=structure_id,
        period=period,
        produced_at=produced_at,
        file_active=len(active),
        active_at_end=len(open_at_end),
        entries=len(entries),
        entries_by_route=_count(c.prescriber or "awaiting_prescription" for c in entries),
        entries_by_situation=_count(c.situation or "unknown" for c in entries),
        entries_by_asker=_count(c.asked_by or "not_recorded" for c in entries),
        derogations=sum(1 for c in entries if c.derogation),
        exits=len(exits),
        exits_by_reason=_count(reason for _c, _at, reason in exits),
        support_of_exits=DurationStats.of([c.effective_days(at) for c, at, _reason in exits]),
        support_of_active=DurationStats.of([c.effective_days(until) for c in open_at_end]),
        services={service: sum(1 for done in services.values() if service in done) for service in SERVICES},
        acts=acts,
        contacts_by_kind=_contacts(session, cases, period.start, last_day),
        employer_requests=_requests(session, cases, since, until),
        person_requests=_person_requests(session, cases, since, until),
        age_bands=_count(_age_band(c.birth_year, last_day) for c in active),
        situations=_count(c.situation or "unknown" for c in active),
        intensity_at_end=_count(c.intensity_at(until) or "not_set" for c in open_at_end if c.phase_at(until) in ("job_search", "in_job_support")),
        outcomes=_outcomes(seekers, period.start, last_day, until, [c for c in active if c.employed_at_entry]),
        caseload_over_time=[(day, sum(1 for c in active if c.open_at(min(end_of(day), until)))) for day in month_ends(period.start, last_day)],
        phases_at_end=_count(c.phase_at(until) or "consent" for c in open_at_end),
        days_to_first_job=sorted(d for c in seekers if (d := _days_to_first_job(c, last_day)) is not None),
        by_funder=_by_funder(session, in_scope, group, period.start, last_day),
        by_route=group.split(active, lambda c: c.prescriber or "awaiting_prescription", GroupFigures),
        by_origin=group.split(active, lambda c: c.asked_by or "not_recorded", GroupFigures),
    )


@dataclass
class _Grouping:
    """Splits the file active's main figures by a key of each case (funder, prescriber, origin)."""

    since: datetime
    until: datetime
    services: dict[str, set[str]]
    exits: list[tuple[_Case, datetime, str]]

    def split(self, active: list[_Case], key: Callable[[_Case], str], kind: type[G]) -> dict[str, G]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)  # plain counters: a model validates each assignment
        exits = Counter(c.id for c, _at, _reason in self.exits)
        for case in active:
            group = counts[key(case)]
            entered = case.opened_at >= self.since
            group.update(file_active=1, entries=entered, derogations=entered and case.derogation, exits=exits[case.id])
            group.update(self.services.get(case.id, ()))
        groups = {name: kind(file_active=c["file_active"], entries=c["entries"], exits=c["exits"], derogations=c["derogations"],
                             services={service: c[service] for service in SERVICES}) for name, c in counts.items()}  # fmt: skip
        return dict(sorted(groups.items()))


def _services(session: Session, active: dict[str, _Case], first_day: date, last_day: date) -> tuple[dict[str, set[str]], dict[str, int]]:
    """Which prestations each person received, from what was recorded as done, and how many acts of each kind.

    The findings are sealed health text: only whether one was written is read (IS NOT NULL), never the text."""
    done: dict[str, set[str]] = defaultdict(set)
    acts: Counter[str] = Counter()
    written = or_(*(column.is_not(None) for column in (Evaluation.capacities, Evaluation.needs, Evaluation.constraints, Evaluation.employer_needs)))
    evaluations = select(Evaluation.case_id, Evaluation.tools, written).where(Evaluation.completed_on.between(first_day, last_day))
    for case_id, tools, found in rows_of(session, evaluations, active):
        if found or tools:
            done[case_id].add("evaluation")
            acts["evaluations_with_findings"] += 1
    projects = select(ProfessionalProject.case_id, ProfessionalProject.content).where(ProfessionalProject.agreed_on.between(first_day, last_day))
    for case_id, content in rows_of(session, projects, active):
        if (content or {}).get("steps"):
            done[case_id].add("project")
            acts["projects_with_steps"] += 1
    prospected = select(Contact.case_id).where(Contact.kind == "prospection", Contact.on.between(first_day, last_day))
    hired = select(Employment.case_id).where(Employment.start_date.between(first_day, last_day))
    for (case_id,) in [*rows_of(session, prospected, active), *rows_of(session, hired, active)]:
        done[case_id].add("job_search")
    for case_id, dates in rows_of(session, select(Adaptation.case_id, Adaptation.dates), active):
        if any(first_day <= date.fromisoformat(on) <= last_day for on in (dates or {}).values()):
            done[case_id].add("in_job_support")
            acts["adaptations"] += 1
    trainings = select(Training.case_id).where(Training.on.between(first_day, last_day), Training.status != "abandoned")
    for (case_id,) in rows_of(session, trainings, active):
        done[case_id].add("in_job_support")
        acts["trainings"] += 1
    answered = select(SupportRequest.case_id).where(SupportRequest.origin == "employer", SupportRequest.answered_at.is_not(None),
                                                    SupportRequest.answered_at >= start_of(first_day), SupportRequest.answered_at < end_of(last_day))  # fmt: skip
    in_job = select(Contact.case_id).where(Contact.kind.in_(IN_JOB_CONTACTS), Contact.on.between(first_day, last_day))
    for (case_id,) in [*rows_of(session, answered, active), *rows_of(session, in_job, active)]:
        done[case_id].add("in_job_support")
    return dict(done), {kind: acts[kind] for kind in ("evaluations_with_findings", "projects_with_steps", "adaptations", "trainings")}


def _by_funder(session: Session, active: dict[str, _Case], group: _Grouping, first_day: date, last_day: date) -> dict[str, FunderFigures]:
    """The people by their employer's sector, and what each funder paid for: counts only, never what the case file says."""
    sectors = dict(session.execute(select(Organisation.id, Organisation.sector).where(Organisation.kind == "employer")).all())

    def funder_of(case: _Case) -> str:
        employer = case.employer_during(first_day, last_day)
        if employer is None:
            return NO_EMPLOYER
        return SECTOR_FUNDERS.get(sectors.get(employer) or "", SECTOR_NOT_RECORDED)

    figures = group.split(list(active.values()), funder_of, FunderFigures)

    def of(funder: str) -> FunderFigures:
        return figures.setdefault(funder, FunderFigures(services=dict.fromkeys(SERVICES, 0)))

    current = select(Case.id, Organisation.sector).join(Organisation, Organisation.id == Case.employer_id)
    for _case_id, sector in rows_of(session, current.where(Organisation.sector.is_not(None)), active):
        of(SECTOR_FUNDERS[sector]).employed_people += 1
    adaptations = select(Adaptation.case_id, Adaptation.funder, Adaptation.dates).where(Adaptation.funder.is_not(None))
    for _case_id, funder, dates in rows_of(session, adaptations, active):
        funded = (dates or {}).get("funded")
        if funded and first_day <= date.fromisoformat(funded) <= last_day:
            of(funder).adaptations_funded += 1
    trainings = select(Training.case_id, Training.funder).where(Training.funder.is_not(None), Training.on.between(first_day, last_day))
    for _case_id, funder in rows_of(session, trainings, active):
        of(funder).trainings += 1
    return dict(sorted(figures.items()))


def gather(session: Session, structure_id: str | None, until: datetime) -> dict[str, _Case]:
    """Every case opened before `until` (of one structure, or all), with the timelines the reports read."""
    query = select(Case.id, Case.opened_at, Case.closed_at, Case.closure_reason, Case.situation, Case.birth_year)
    if structure_id is not None:
        query = query.where(Case.structure_id == structure_id)
    cases = {row.id: _Case(row.id, utc(row.opened_at), utc(row.closed_at) if row.closed_at else None, row.closure_reason,
                           row.situation, row.birth_year) for row in session.execute(query.where(Case.opened_at < until))}  # fmt: skip
    for case_id, detail in rows_of(session, select(JournalRow.case_id, JournalRow.detail).where(JournalRow.kind == "case_opened"), cases):
        cases[case_id].employed_at_entry = bool((detail or {}).get("employer_id"))
        cases[case_id].asked_by = (detail or {}).get("asked_by")
        cases[case_id].phases.append((cases[case_id].opened_at, "consent"))
        cases[case_id].referents.append((cases[case_id].opened_at, (detail or {}).get("referent_id")))
    assigned = select(JournalRow.case_id, JournalRow.at, JournalRow.detail).where(JournalRow.kind == "assign_referent").order_by(
        JournalRow.case_id, JournalRow.seq)  # fmt: skip
    for case_id, at, detail in rows_of(session, assigned, cases):
        cases[case_id].referents.append((utc(at), (detail or {}).get("referent_id")))
    changes = select(JournalRow.case_id, JournalRow.at, JournalRow.phase_after).where(
        JournalRow.phase_before != JournalRow.phase_after).order_by(JournalRow.case_id, JournalRow.seq)  # fmt: skip
    for case_id, at, phase in rows_of(session, changes, cases):
        cases[case_id].phases.append((utc(at), phase))
    closing = select(JournalRow.case_id, JournalRow.at, JournalRow.kind, JournalRow.detail).where(
        JournalRow.phase_after == "closed", JournalRow.phase_before != "closed").order_by(JournalRow.case_id, JournalRow.seq)  # fmt: skip
    for case_id, at, kind, detail in rows_of(session, closing, cases):
        reason = ClosureReason.CONSENT_WITHDRAWN.value if kind == "withdraw_consent" else (detail or {}).get("reason", "other")
        cases[case_id].closures.append((utc(at), reason))
    prescriptions = select(Prescription.case_id, Prescription.prescriber, Prescription.dated).order_by(Prescription.seq)
    for case_id, prescriber, dated in rows_of(session, prescriptions, cases):
        if cases[case_id].prescriber is None:
            cases[case_id].prescriber, cases[case_id].prescribed_on = prescriber, dated
    prescribed = select(JournalRow.case_id, JournalRow.detail).where(JournalRow.kind == "record_prescription")
    for case_id, detail in rows_of(session, prescribed, cases):
        cases[case_id].derogation |= bool((detail or {}).get("derogation"))
    jobs = select(Employment.case_id, Employment.start_date, Employment.ended_on, Employment.weekly_hours, Employment.employer_id)
    for case_id, start, ended, hours, employer in rows_of(session, jobs.order_by(Employment.seq), cases):
        first = start or cases[case_id].opened_at.date()  # the job held at entry: its first day was not always recorded
        cases[case_id].jobs.append((first, ended, hours))
        cases[case_id].employers.append((first, ended, employer))
    levels = select(IntensityChange.case_id, IntensityChange.at, IntensityChange.level).order_by(IntensityChange.case_id, IntensityChange.seq)
    for case_id, at, level in rows_of(session, levels, cases):
        _note_intensity(cases[case_id], utc(at), level)
    prospection = select(Contact.case_id, Contact.on).where(Contact.kind == "prospection")
    for case_id, on in rows_of(session, prospection, cases):
        first = cases[case_id].first_prospection
        cases[case_id].first_prospection = on if first is None else min(first, on)
    return cases


def rows_of(session: Session, query: Select[Any], cases: Mapping[str, Any]) -> Iterable[Any]:
    """The rows of the cases in scope (filtered here: an IN of 10,000 ids is slower than skipping)."""
    return (row for row in session.execute(query) if row[0] in cases)


def _note_intensity(case: _Case, at: datetime, level: str | None) -> None:
    case.intensity.append((at, level))
    if case.dormant and case.dormant[-1][1] is None and level != "dormant":
        case.dormant[-1] = (case.dormant[-1][0], at)
    if level == "dormant":
        case.dormant.append((at, None))


def _as_of(timeline: list[tuple[datetime, str | None]], moment: datetime) -> str | None:
    """The value a timeline (changes in time order) held just before `moment`."""
    current = None
    for at, value in timeline:
        if at >= moment:
            break
        current = value
    return current


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items(), key=lambda item: (-item[1], item[0])))


def _age_band(birth_year: int | None, on: date) -> str:
    if birth_year is None:
        return "unknown"
    age = on.year - birth_year
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}+" if high >= 200 else f"{low}-{high}"
    return "under_16"


def _contacts(session: Session, cases: dict[str, _Case], first_day: date, last_day: date) -> dict[str, int]:
    query = select(Contact.case_id, Contact.kind).where(Contact.on >= first_day, Contact.on <= last_day)
    return _count(kind for _case_id, kind in rows_of(session, query, cases))


def _requests(session: Session, cases: dict[str, _Case], since: datetime, until: datetime) -> list[RequestFigures]:
    query = select(SupportRequest.case_id, SupportRequest.kind, SupportRequest.at, SupportRequest.deadline, SupportRequest.answered_at).where(
        SupportRequest.origin == "employer", SupportRequest.at >= since, SupportRequest.at < until)  # fmt: skip
    by_kind: dict[str, list[tuple[datetime, datetime, datetime | None]]] = defaultdict(list)
    for _case_id, kind, at, deadline, answered in rows_of(session, query, cases):
        by_kind[kind].append((utc(at), utc(deadline), utc(answered) if answered else None))
    figures = []
    for kind, requests in sorted(by_kind.items()):
        hours = [(answered - at).total_seconds() / 3600 for at, _deadline, answered in requests if answered]
        figures.append(RequestFigures(
            kind=kind, received=len(requests), answered=len(hours),
            answered_in_time=sum(1 for _at, deadline, answered in requests if answered and answered <= deadline),
            median_response_hours=round(statistics.median(hours), 1) if hours else None,
        ))  # fmt: skip
    return figures


def _person_requests(session: Session, cases: dict[str, _Case], since: datetime, until: datetime) -> int:
    query = select(SupportRequest.case_id).where(SupportRequest.origin == "beneficiary", SupportRequest.at >= since, SupportRequest.at < until)
    return sum(1 for _ in rows_of(session, query, cases))


def _days_to_first_job(case: _Case, last_day: date) -> int | None:
    starts = [start for start, _ended, _hours in case.jobs if start <= last_day]
    return max((min(starts) - case.opened_at.date()).days, 0) if starts else None


def _days_covered(intervals: list[tuple[date, date]]) -> int:
    """Days inside at least one interval (both ends included): overlapping jobs count once."""
    days, reached = 0, date.min
    for start, stop in sorted(intervals):
        start = max(start, reached)
        if stop >= start:
            days += (stop - start).days + 1
            reached = stop + timedelta(days=1)
    return days


def _outcomes(seekers: list[_Case], first_day: date, last_day: date, until: datetime, employees: Iterable[_Case] = ()) -> Outcomes:
    """Jobs counted from `first_day` to `last_day` (today, in a period still running)."""
    employed, tenures, hours, days_worked = 0, [], [], 0
    for case in seekers:
        held = [(start, min(ended or last_day, last_day)) for start, ended, _h in case.jobs if start <= last_day]
        during = [(max(start, first_day), stop) for start, stop in held if stop >= first_day]
        employed += bool(during)
        if held:
            tenures.append(float(max((stop - start).days for start, stop in held)))
        days_worked += _days_covered(during)
        jobs = [(start, ended or last_day, h) for start, ended, h in case.jobs if h and start <= last_day and (ended is None or ended >= first_day)]
        if jobs:
            hours.append(max(sum(h for start, stop, h in jobs if start <= day <= stop) for day, _stop, _h in jobs))
    eligible = [c for c in seekers if c.opened_at + FIRST_CONTACT_WITHIN <= until]
    in_month = [c for c in eligible if c.first_prospection and c.first_prospection <= (c.opened_at + FIRST_CONTACT_WITHIN).date()]
    firsts = [float(d) for c in seekers if (d := _days_to_first_job(c, last_day)) is not None]
    employees = list(employees)
    kept = sum(1 for c in employees if c.employed_on(min(c.closed_at.date(), last_day) if c.closed_at else last_day))
    return Outcomes(
        job_seekers=len(seekers),
        employed_any_time=employed,
        employed_rate=round(employed / len(seekers), 3) if seekers else None,
        days_to_first_job=DurationStats.of(firsts),
        longest_tenure=DurationStats.of(tenures),
        mean_weekly_hours=round(statistics.fmean(hours), 1) if hours else None,
        weeks_worked=round(days_worked / 7, 1),
        first_employer_contact_eligible=len(eligible),
        first_employer_contact_in_month=len(in_month),
        entered_employed=len(employees),
        employed_at_end=kept,
        employed_at_end_rate=round(kept / len(employees), 3) if employees else None,
        job_ended=sum(1 for c in employees if any(ended and first_day <= ended <= last_day for _s, ended, _e in c.employers)),
    )


def month_ends(first_day: date, last_day: date) -> list[date]:
    """The last day of each month from first_day to last_day; the month under way ends at last_day."""
    ends, day = [], first_day
    while day <= last_day:
        following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        ends.append(min(following - timedelta(days=1), last_day))
        day = following
    return ends


def end_of(day: date) -> datetime:
    """The first moment after `day`."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=timezone.utc)


def start_of(day: date) -> datetime:
    """Midnight UTC opening `day`: a report's days are UTC days."""
    return datetime.combine(day, time(), tzinfo=timezone.utc)
