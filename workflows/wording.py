"""How a case reads to people: phase labels, dates the French way, the one-line summary.

Pure and deterministic: the workflow uses it for the details shown in the Temporal UI, the CLI
and the documents for what they print.
"""

from __future__ import annotations

from datetime import date, timedelta

from workflows.case.model import CaseState, Phase, StepAcknowledgement

PHASE_LABELS: dict[Phase, str] = {
    Phase.CONSENT: "awaiting consent",
    Phase.PRESCRIPTION: "awaiting prescription",
    Phase.CONVENTION: "convention to sign",
    Phase.EVALUATION: "evaluation",
    Phase.PROJECT: "professional project",
    Phase.JOB_SEARCH: "job search",
    Phase.IN_JOB_SUPPORT: "in-job support",
    Phase.CLOSED: "closed",
}

_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def french_date(day: date) -> str:
    """« 3 mars 2027 », « 1er mai 2027 »: the way a French letter writes a date."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {_MONTHS[day.month - 1]} {day.year}"


def french_duration(value: timedelta) -> str:
    """« 30 jours », « 36 heures », « 45 secondes »: the largest unit that divides it."""
    seconds = max(int(value.total_seconds()), 1)
    for unit, size in (("jour", 86400), ("heure", 3600), ("minute", 60), ("seconde", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''}"
    raise AssertionError("a whole number of seconds is divisible by 1")


def case_summary(case: CaseState | StepAcknowledgement) -> str:
    """One line for the operator: phase (and intensity of support), open requests, next review, overdue work."""
    now = case if isinstance(case, StepAcknowledgement) else StepAcknowledgement.of(case)
    parts = [PHASE_LABELS[now.phase] + (f" ({now.intensity})" if now.intensity else "")]
    if now.open_requests:
        plural = "s" if now.open_requests > 1 else ""
        parts.append(f"{now.open_requests} open request{plural}")
    if now.next_review_due is not None:
        parts.append(f"next review {french_date(now.next_review_due.date())}")
    if now.overdue:
        parts.append("overdue")
    if now.closure_reason is not None:
        parts.append(f"reason: {now.closure_reason}")
    return " · ".join(parts)


LABELS_FR: dict[str, dict[str, str]] = {
    "situation": {
        "rqth": "travailleur handicapé bénéficiant d'une RQTH, ayant un projet d'insertion en milieu ordinaire de travail",
        "esat": "travailleur handicapé accueilli en ESAT, ayant un projet d'insertion en milieu ordinaire de travail",
        "employee": "salarié ou agent en situation de handicap en emploi en milieu ordinaire, rencontrant des "
        "difficultés particulières pour sécuriser son insertion professionnelle ou son maintien au poste",
    },
    "prescriber": {
        "cdaph": "la Commission des droits et de l'autonomie des personnes handicapées (CDAPH)",
        "france_travail": "France Travail",
        "cap_emploi": "Cap emploi",
        "mission_locale": "la mission locale",
    },
    "contract": {
        "cdi": "contrat à durée indéterminée",
        "cdd": "contrat à durée déterminée",
        "interim": "mission d'intérim",
        "apprenticeship": "contrat d'apprentissage",
        "public_service": "emploi public",
        "other": "autre contrat",
    },
    "request": {
        "mediation": "médiation entre la personne et l'employeur",
        "workstation_adaptation": "adaptation du poste de travail",
        "difficulty_alert": "alerte sur une difficulté",
        "training_need": "besoin de formation",
        "other": "autre demande",
    },
    "outcome": {
        "meeting_scheduled": "un rendez-vous est fixé avec le référent",
        "solution_proposed": "une solution est proposée par le référent",
        "referred_to_partner": "la demande est orientée vers un partenaire",
        "no_action_needed": "aucune action n'est nécessaire",
    },
    "closure": {
        "consent_withdrawn": "le retrait de votre consentement",
        "ineligible": "les conditions d'accès au dispositif ne sont pas réunies",
        "goals_reached": "l'atteinte des objectifs fixés dans la convention",
        "persons_choice": "votre choix de mettre fin à l'accompagnement",
        "moved_away": "votre déménagement hors du territoire de la plateforme",
        "erasure_requested": "votre demande d'effacement de vos données",
        "other": "une autre raison, dont votre référent vous a fait part",
    },
    "phase": {
        "consent": "recueil du consentement",
        "prescription": "attente de la prescription",
        "convention": "signature de la convention",
        "evaluation": "évaluation",
        "project": "projet professionnel",
        "job_search": "recherche d'emploi",
        "in_job_support": "accompagnement dans l'emploi",
        "closed": "accompagnement terminé",
    },
    "party": {"beneficiary": "la personne accompagnée", "structure": "la structure gestionnaire", "employer": "l'employeur"},
    "evidence": {
        "rqth": "la reconnaissance de la qualité de travailleur handicapé (RQTH)",
        "cdaph_decision": "la décision de la CDAPH",
        "esat_admission": "l'admission en ESAT",
    },
    "objective": {"planned": "prévu", "in_progress": "en cours", "reached": "atteint", "abandoned": "abandonné"},
    "adaptation": {
        "proposed": "proposé", "opinion_given": "avis du médecin du travail recueilli", "decided": "décidé par l'employeur",
        "declined": "écarté par l'employeur", "funded": "financement acquis", "in_place": "en place", "reviewed": "réexaminé",
    },
    "proposer": {"referent": "le référent", "employer": "l'employeur", "person": "la personne",
                 "occupational_physician": "le médecin du travail"},
    "funder": {"agefiph": "l'Agefiph", "fiphfp": "le FIPHFP", "employer": "l'employeur", "opco": "l'OPCO",
               "france_travail": "France Travail", "region": "la Région", "cpf": "le compte personnel de formation"},
    "measure": {
        "tutelle": "tutelle",
        "curatelle": "curatelle",
        "curatelle_renforcee": "curatelle renforcée",
        "habilitation_familiale": "habilitation familiale",
        "mandat_de_protection_future": "mandat de protection future",
        "sauvegarde_de_justice": "sauvegarde de justice",
    },
}
"""The French a document prints for each code of the domain."""
