"""The fidelity self-assessment (IPS scale, cahier des charges of 2025) computed from the journal.

Review visits score fidelity by hand; most items are facts the journal already holds, written
once. Each item here gives its score (the share that meets the rule), its evidence (how many,
and which cases — ids only: no name, no health text) and its rule in words. What the registry
does not record is listed as not measurable, with what would be needed: never guessed.
Every item is also scored month by month, for the charts.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.registry.caseload import capacity_from_env
from activities.registry.database import utc
from activities.registry.report import FIRST_CONTACT_WITHIN, _Case, end_of, gather, month_ends, rows_of, start_of
from activities.registry.schema import Contact, Referent, Review, SupportRequest
from workflows.case.model import CaseSettings, ClosureReason, Model
from workflows.contracts import Period

FIRST_MEETING_WITHIN = timedelta(days=15)
"""The platform's own target from prescription to the first interview (no national figure exists)."""
CONTINUITY_GAP = CaseSettings().in_job_review_every
"""The longest silence the lightest cadence allows (in-job support, light: one review every 90 days)."""
COMMUNITY_CONTACTS = ("workplace", "employer", "prospection")
TIME_LIMIT_FREE = frozenset(reason.value for reason in ClosureReason) - {ClosureReason.OTHER.value}
"""Closure reasons that say why the support ended, none of them a time limit; `other` says nothing."""


class FidelityItem(Model):
    key: str
    title: str
    rule: str = Field(description="The rule, as it is applied, in words.")
    unit: str = Field(description="What is counted: cases, contacts, requests, reviews, référents at a month end.")
    counted: int
    met: int
    score: float | None = Field(description="Met as a share of counted; None when nothing was there to count.")
    ids: list[str] = Field(description="The evidence: the ids counted — cases; référents for the caseload.")
    short: list[str] = Field(description="The ids that fall short of the rule (cases; for the caseload, référent and month end).")
    monthly: list[tuple[date, float | None]] = Field(description="The score of each month of the period, at its last day.")
    detail: dict[str, float | None] = Field(default_factory=dict, description="Figures that explain the score (by intensity, median days).")


class NotMeasurable(Model):
    key: str
    title: str
    needs: str = Field(description="What the registry would have to record to measure it.")


class FidelityReport(Model):
    structure_id: str | None
    period: Period
    produced_at: datetime
    items: list[FidelityItem]
    not_measurable: list[NotMeasurable]

    @property
    def running(self) -> bool:
        """Produced before the period ended: its figures stop at `produced_at`."""
        return self.produced_at < self.period.until


NOT_MEASURABLE = [NotMeasurable(key=key, title=title, needs=needs) for key, title, needs in (
    ("zero_exclusion", "Aucune exclusion à l'entrée",
     "Les demandes refusées avant l'ouverture d'un dossier et leur motif : le registre ne connaît que les dossiers ouverts."),
    ("care_team", "Intégration avec l'équipe de soins", "Les réunions avec l'équipe soignante de la personne (dates, participants)."),
    ("benefits_counselling", "Conseil sur les ressources (AAH, pensions) avant l'emploi", "Les entretiens sur les ressources et leur date."),
    ("job_matching", "Emplois conformes aux préférences de la personne",
     "Le métier (code ROME) de chaque emploi obtenu, pour le comparer aux métiers visés du projet."),
    ("time_in_community", "Temps des référents passé hors de la structure",
     "Le temps passé par contact (le registre compte les contacts, pas leur durée)."),
    ("supervision", "Supervision des référents", "Les réunions de supervision de l'équipe et leurs participants."),
)]  # fmt: skip


@dataclass
class Tally:
    """One item over one window: what was counted and what fell short (ids only)."""

    counted: int = 0
    met: int = 0
    ids: set[str] = field(default_factory=set)
    short: set[str] = field(default_factory=set)
    detail: dict[str, float | None] = field(default_factory=dict)

    def add(self, counted_id: str, ok: bool, short_id: str | None = None) -> None:
        self.counted += 1
        self.met += ok
        self.ids.add(counted_id)
        if not ok:
            self.short.add(short_id or counted_id)

    @property
    def score(self) -> float | None:
        return round(self.met / self.counted, 3) if self.counted else None


@dataclass
class Journal:
    """What the items read, gathered once for the whole period."""

    cases: dict[str, _Case]
    contacts: dict[str, list[tuple[date, str]]]
    reviews: list[tuple[str, datetime, date | None, bool]]
    """Each review: case, when it was due (or held, when held before it was due), held on, overdue."""
    requests: list[tuple[str, datetime, datetime | None, str]]
    """Each employer request: case, deadline, answered at, status."""
    acts: dict[str, list[date]]
    """Each case's days with a contact, a request answered or a review held, in order (see `_acts`)."""
    capacities: dict[str, int]
    default_capacity: int
    produced_at: datetime


Window = tuple[datetime, datetime]
Measure = Callable[[Journal, Window], Tally]


def caseload(journal: Journal, window: Window) -> Tally:
    tally = Tally()
    since, until = window
    for day in month_ends(since.date(), (until - timedelta(microseconds=1)).date()):
        moment = min(end_of(day), until)
        followed: dict[str, list[str]] = defaultdict(list)
        for case in journal.cases.values():
            referent = case.referent_at(moment) if case.open_at(moment) else None
            if referent is not None:
                followed[referent].append(case.id)
        for referent, cases in sorted(followed.items()):
            limit = journal.capacities.get(referent, journal.default_capacity)
            tally.add(referent, len(cases) <= limit, f"{referent}@{day.isoformat()}:{len(cases)}")
    return tally


def first_employer_contact(journal: Journal, window: Window) -> Tally:
    tally = Tally()
    for case in journal.cases.values():
        month_ended = case.opened_at + FIRST_CONTACT_WITHIN
        if not case.employed_at_entry and window[0] <= month_ended < window[1]:
            tally.add(case.id, case.first_prospection is not None and case.first_prospection <= month_ended.date())
    return tally


def time_unlimited(journal: Journal, window: Window) -> Tally:
    tally = Tally()
    for case in journal.cases.values():
        for at, reason in case.closures:
            if window[0] <= at < window[1]:
                tally.add(case.id, reason in TIME_LIMIT_FREE)
    return tally


def community_contacts(journal: Journal, window: Window) -> Tally:
    tally = Tally()
    first, last = window[0].date(), (window[1] - timedelta(microseconds=1)).date()
    for case_id, contacts in journal.contacts.items():
        kinds = [kind for on, kind in contacts if first <= on <= last]
        for kind in kinds:
            tally.counted += 1
            tally.met += kind in COMMUNITY_CONTACTS
        if kinds:
            tally.ids.add(case_id)
            if not any(kind in COMMUNITY_CONTACTS for kind in kinds):
                tally.short.add(case_id)
    return tally


def requests_in_time(journal: Journal, window: Window) -> Tally:
    tally = Tally()
    for case_id, deadline, answered, status in journal.requests:
        passed = deadline < journal.produced_at
        cancelled = status == "cancelled" and answered is None  # the case closed before the deadline
        if window[0] <= deadline < window[1] and passed and not cancelled:
            tally.add(case_id, answered is not None and answered <= deadline)
    return tally


def reviews_on_time(journal: Journal, window: Window) -> Tally:
    tally = Tally()
    levels: dict[str, Tally] = defaultdict(Tally)
    for case_id, moment, held_on, overdue in journal.reviews:
        if not window[0] <= moment < window[1] or (held_on is None and not overdue):
            continue  # still within its grace: neither on time nor late yet
        on_time = held_on is not None and not overdue
        tally.add(case_id, on_time)
        levels[journal.cases[case_id].intensity_at(moment) or "not_set"].add(case_id, on_time)
    tally.detail = {level: levels[level].score for level in sorted(levels)}
    return tally


def first_meeting(journal: Journal, window: Window) -> Tally:
    tally = Tally()
    days = []
    for case in journal.cases.values():
        prescribed = case.prescribed_on
        if prescribed is None or not window[0].date() <= prescribed < window[1].date():
            continue
        met = min((on for on, kind in journal.contacts.get(case.id, ()) if kind == "interview" and on >= prescribed), default=None)
        if met is not None:
            days.append((met - prescribed).days)
            tally.add(case.id, met - prescribed <= FIRST_MEETING_WITHIN)
        elif end_of(prescribed + FIRST_MEETING_WITHIN) <= journal.produced_at:
            tally.add(case.id, False)
    tally.detail = {"median_days": float(statistics.median(days)) if days else None}
    return tally


def continuity(journal: Journal, window: Window) -> Tally:
    tally = Tally()
    since, until = window
    for case in journal.cases.values():
        if not case.open_during(since, until):
            continue
        end = min(case.closed_at, until) if case.closed_at else until
        marks = [on for on in journal.acts[case.id] if on <= end.date()] + [end.date()]
        gaps = (_awake_days(case, a, b) for a, b in zip(marks, marks[1:]) if b >= since.date())
        tally.add(case.id, all(gap <= CONTINUITY_GAP.days for gap in gaps))
    return tally


def _acts(case: _Case, contacts: list[tuple[date, str]], follow_ups: list[date]) -> list[date]:
    """The days something was done for the case, in order; falling dormant and waking up restart the clock."""
    return sorted({case.opened_at.date(), *(on for on, _kind in contacts), *follow_ups, *(start.date() for start, _stop in case.dormant),
                   *(stop.date() for _start, stop in case.dormant if stop)})  # fmt: skip


def _awake_days(case: _Case, start: date, stop: date) -> int:
    """Days from one act to the next, the days the support was dormant (no follow-up due) left out."""
    asleep = 0
    for begins, ends in case.dormant:
        first, last = max(begins.date(), start), min((ends or end_of(stop)).date(), stop)
        asleep += max((last - first).days, 0)
    return (stop - start).days - asleep


ITEMS: list[tuple[str, str, str, str, Measure]] = [
    ("caseload", "Portefeuille par référent", "référents × fins de mois",
     "Chaque référent suit au plus sa capacité (20 personnes par défaut, cahier des charges 2026) de dossiers ouverts à chaque fin de "
     "mois ; la preuve nomme le référent, la fin de mois et le nombre suivi.", caseload),
    ("first_employer_contact", "Premier contact employeur dans les 30 jours", "dossiers",
     "Parmi les personnes entrées sans emploi dont le 30e jour tombe dans la période : un employeur prospecté dans les 30 jours de l'entrée.",
     first_employer_contact),
    ("time_unlimited", "Accompagnement sans limite de durée", "clôtures",
     "Chaque clôture de la période a un motif qui dit pourquoi l'accompagnement prend fin, aucun n'étant une durée écoulée ; une clôture "
     "au motif « autre » ne le prouve pas et est listée pour revue.", time_unlimited),
    ("community_contacts", "Contacts sur le lieu de travail ou avec l'employeur", "contacts",
     "Part des contacts de la période faits sur le lieu de travail, avec un employeur ou en prospection ; la preuve liste les dossiers "
     "dont aucun contact de la période ne l'était.", community_contacts),
    ("requests_in_time", "Demandes des employeurs traitées dans le délai", "demandes",
     "Demandes d'employeurs dont l'échéance est tombée pendant la période : traitées avant l'échéance (une demande close avec le dossier "
     "avant l'échéance n'est pas comptée).", requests_in_time),
    ("reviews_on_time", "Points d'étape tenus à temps, par intensité", "points d'étape",
     "Points d'étape dus pendant la période (ou tenus avant d'être dus) : tenus sans être passés en retard ; ceux encore dans leur délai de "
     "grâce ne sont pas comptés ; le détail donne le score par intensité au jour dû.", reviews_on_time),
    ("first_meeting", "De la prescription au premier entretien", "dossiers",
     f"Prescriptions datées de la période : un premier entretien avec la personne dans les {FIRST_MEETING_WITHIN.days} jours (objectif de "
     "la plateforme) ; une prescription encore dans ce délai sans entretien n'est pas comptée ; le détail donne le délai médian.",
     first_meeting),
    ("continuity", "Continuité du suivi", "dossiers",
     f"Dossiers ouverts pendant la période : jamais plus de {CONTINUITY_GAP.days} jours (la cadence la plus légère) sans contact, "
     "point d'étape tenu ni demande traitée, les périodes en veille exceptées.", continuity),
]  # fmt: skip
"""Each item: key, title, unit, rule, measure."""


def fidelity_report(session: Session, period: Period, structure_id: str | None = None, now: datetime | None = None) -> FidelityReport:
    """The self-assessment of `period`; one not yet ended is measured up to `now`."""
    produced_at = now or datetime.now(timezone.utc)
    since, until = period.since, min(period.until, produced_at)
    journal = _read(session, structure_id, since, until, produced_at)
    months = [(max(since, start_of(day.replace(day=1))), min(end_of(day), until))
              for day in month_ends(period.start, (until - timedelta(microseconds=1)).date())]  # fmt: skip
    items = []
    for key, title, unit, rule, measure in ITEMS:
        whole = measure(journal, (since, until))
        items.append(FidelityItem(key=key, title=title, rule=rule, unit=unit, counted=whole.counted, met=whole.met, score=whole.score,
                                  ids=sorted(whole.ids), short=sorted(whole.short), detail=whole.detail,
                                  monthly=[((end - timedelta(microseconds=1)).date(), measure(journal, (start, end)).score)
                                           for start, end in months]))  # fmt: skip
    return FidelityReport(structure_id=structure_id, period=period, produced_at=produced_at, items=items, not_measurable=NOT_MEASURABLE)


def _read(session: Session, structure_id: str | None, since: datetime, until: datetime, produced_at: datetime) -> Journal:
    """The cases open during the period, with their contacts, reviews and requests (nothing of the others is read further)."""
    cases = {case_id: case for case_id, case in gather(session, structure_id, until).items() if case.open_during(since, until)}
    contacts: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for case_id, on, kind in rows_of(session, select(Contact.case_id, Contact.on, Contact.kind), cases):
        contacts[case_id].append((on, kind))
    reviews = [(case_id, utc(due_at) if due_at else start_of(held_on), held_on, overdue)
               for case_id, due_at, held_on, overdue in rows_of(session, select(Review.case_id, Review.due_at, Review.held_on, Review.overdue), cases)
               if due_at or held_on]  # fmt: skip
    requests, follow_ups = [], defaultdict(list)
    for case_id, _moment, held_on, _overdue in reviews:
        if held_on is not None:
            follow_ups[case_id].append(held_on)
    query = select(SupportRequest.case_id, SupportRequest.deadline, SupportRequest.answered_at, SupportRequest.status, SupportRequest.origin)
    for case_id, deadline, answered_at, status, origin in rows_of(session, query, cases):
        if answered_at is not None:
            follow_ups[case_id].append(utc(answered_at).date())
        if origin == "employer":
            requests.append((case_id, utc(deadline), utc(answered_at) if answered_at else None, status))
    capacities = {referent: capacity for referent, capacity in session.execute(select(Referent.id, Referent.capacity)) if capacity is not None}
    acts = {case_id: _acts(case, contacts.get(case_id, []), follow_ups.get(case_id, [])) for case_id, case in cases.items()}
    return Journal(cases, dict(contacts), reviews, requests, acts, capacities, capacity_from_env(), produced_at)
