"""The staff application's French: steps, fields, the domain's codes and the refusals.

The core refuses with a code and parameters (workflows/case/refusals.py); this is the catalogue
that words them for a person in the field, as starter/refusals.py does for the terminal.
"""

from __future__ import annotations

from datetime import date
from enum import Enum

from pydantic import ValidationError

from workflows.case.dates import Dated
from workflows.case.model import Step
from workflows.wording import french_date
from workflows.case.refusals import Refusal, RefusalCode

STEP_TITLES: dict[Step, str] = {
    Step.GIVE_CONSENT: "Recueillir le consentement",
    Step.WITHDRAW_CONSENT: "Enregistrer le retrait du consentement",
    Step.RECORD_PRESCRIPTION: "Enregistrer la prescription",
    Step.SIGN_CONVENTION: "Signer la convention",
    Step.SIGN_AMENDMENT: "Signer un avenant",
    Step.SUBMIT_EVALUATION: "Clore l'évaluation",
    Step.SUBMIT_PROJECT: "Valider le projet professionnel",
    Step.RECORD_HIRING: "Enregistrer une embauche",
    Step.RECORD_JOB_LOSS: "Enregistrer une fin d'emploi",
    Step.RECORD_CHANGE_OF_POST: "Enregistrer un changement de poste",
    Step.ASSIGN_REFERENT: "Désigner le référent",
    Step.SET_REVIEW_CADENCE: "Régler le rythme des points d'étape",
    Step.COMPLETE_REVIEW: "Enregistrer un point d'étape",
    Step.SET_INTENSITY: "Changer l'intensité de l'accompagnement",
    Step.RECORD_CONTACT: "Enregistrer un contact",
    Step.SUBMIT_EMPLOYER_REQUEST: "Enregistrer une demande de l'employeur",
    Step.REQUEST_SUPPORT: "Enregistrer une demande de la personne",
    Step.RESPOND_TO_REQUEST: "Répondre à une demande",
    Step.RECORD_TRAINING: "Enregistrer une formation",
    Step.RECORD_ADAPTATION: "Enregistrer une adaptation du poste",
    Step.RECORD_EVIDENCE: "Enregistrer un justificatif",
    Step.LINK_PARTNER: "Associer un partenaire",
    Step.NAME_REPRESENTATIVE: "Désigner le représentant légal",
    Step.CLOSE: "Clore l'accompagnement",
    Step.REOPEN: "Rouvrir l'accompagnement",
}

FIELD_LABELS: dict[str, str] = {
    "given_on": "Date du consentement",
    "withdrawn_on": "Date du retrait",
    "prescription": "Prescription",
    "route": "Voie d'accès",
    "decision_reference": "Référence de la décision CDAPH",
    "decision_date": "Date de la décision CDAPH",
    "prescriber": "Prescripteur",
    "prescriber_reference": "Référence de la prescription",
    "prescription_date": "Date de la prescription",
    "situation": "Situation",
    "derogation": "Motif de dérogation (coordinateur)",
    "party": "Partie qui signe",
    "signed_on": "Date de signature",
    "number": "Numéro de l'avenant",
    "completed_on": "Date de fin de l'évaluation",
    "agreed_on": "Date de validation du projet",
    "employer_id": "Employeur",
    "contract_type": "Type de contrat",
    "start_date": "Premier jour",
    "weekly_hours": "Heures par semaine",
    "alongside": "La personne garde son emploi actuel",
    "ended_on": "Dernier jour de l'emploi",
    "effective_on": "Premier jour au nouveau poste",
    "referent_id": "Référent",
    "force_reason": "Motif de dépassement de capacité",
    "job_search_review_every": "Recherche d'emploi : un point tous les … jours",
    "in_job_review_every": "Dans l'emploi : un point tous les … jours",
    "level": "Intensité",
    "held_on": "Date du point d'étape",
    "reason": "Motif",
    "representative_id": "Représentant légal (identifiant au registre)",
    "kind": "Nature",
    "title": "Intitulé",
    "status": "Statut",
    "funder": "Financeur",
    "on": "Date",
    "request_id": "Demande",
    "outcome": "Réponse",
    # The case file
    "objectives": "Objectif", "due_on": "Échéance", "reviewed_on": "Revu le",
    "findings": "Constats de l'évaluation", "capacities": "Capacités", "needs": "Besoins",
    "constraints": "Contraintes liées au handicap (telles que la personne les décrit)", "employer_needs": "Besoins de l'employeur",
    "tools": "Outils utilisés", "content": "Projet", "target_jobs": "Métiers visés (codes ROME)", "sectors": "Secteurs",
    "conditions": "Conditions", "place": "Lieu", "mobility": "Mobilité", "steps": "Étape convenue", "what": "Quoi",
    "by": "Pour le", "done_on": "Faite le", "notes": "Notes (confidentielles)", "stage": "Étape de l'adaptation",
    "adaptation_id": "Adaptation (identifiant)", "description": "Description", "proposed_by": "Proposée par",
    "opinion": "Avis du médecin du travail", "valid_from": "Valable à partir du", "valid_until": "Valable jusqu'au (vide : à vie)",
    "file_id": "Fichier (identifiant)", "partner_id": "Partenaire",
    # The directory
    "id": "Identifiant (sans nom de personne)",
    "name": "Nom",
    "department": "Département",
    "address": "Adresse",
    "phone": "Téléphone",
    "email": "Adresse électronique",
    "coordinator_name": "Nom du coordinateur",
    "coordinator_email": "Adresse du coordinateur (escalades)",
    "structure_id": "Structure",
    "capacity": "Capacité (personnes suivies)",
    "notify": "Rappels par courriel",
    "siret": "SIRET",
}

CHOICES: dict[str, str] = {
    # Situation
    "rqth": "RQTH", "esat": "Accueilli(e) en ESAT", "employee": "En emploi",
    # Routes and prescribers
    "cdaph": "Décision de la CDAPH", "spe": "Prescription du service public de l'emploi",
    "france_travail": "France Travail", "cap_emploi": "Cap emploi", "mission_locale": "Mission locale",
    # Parties
    "beneficiary": "La personne", "structure": "La structure gestionnaire",
    # Contracts
    "cdi": "CDI", "cdd": "CDD", "interim": "Intérim", "apprenticeship": "Apprentissage",
    "public_service": "Emploi public", "other": "Autre",
    # Requests
    "mediation": "Médiation", "workstation_adaptation": "Adaptation du poste", "difficulty_alert": "Alerte sur une difficulté",
    "training_need": "Besoin de formation",
    # Outcomes
    "meeting_scheduled": "Rendez-vous fixé", "solution_proposed": "Solution proposée",
    "referred_to_partner": "Orientée vers un partenaire", "no_action_needed": "Aucune action nécessaire",
    # Intensities and their reasons
    "intensive": "Renforcé", "light": "Allégé", "dormant": "En veille",
    "phase_changed": "Changement d'étape", "stable_situation": "Situation stable", "new_difficulty": "Nouvelle difficulté",
    "no_need_for_now": "Pas de besoin pour l'instant", "employer_request": "Demande de l'employeur",
    "persons_request": "Demande de la personne", "coordinator_decision": "Décision du coordinateur",
    # Contacts
    "interview": "Entretien", "phone": "Téléphone", "workplace": "Sur le lieu de travail", "employer": "Employeur",
    "occupational_physician": "Médecin du travail", "prospection": "Prospection d'un employeur",
    # Trainings
    "training": "Formation", "bilan_de_competences": "Bilan de compétences",
    "planned": "Prévue", "done": "Réalisée", "abandoned": "Abandonnée",
    "agefiph": "Agefiph", "fiphfp": "FIPHFP", "opco": "OPCO", "region": "Région", "cpf": "CPF",
    # Closures
    "consent_withdrawn": "Retrait du consentement", "ineligible": "Conditions non réunies", "goals_reached": "Objectifs atteints",
    "persons_choice": "Choix de la personne", "moved_away": "Déménagement", "erasure_requested": "Demande d'effacement",
    # Phases
    "consent": "Consentement", "prescription": "Prescription", "convention": "Convention à signer",
    "evaluation": "Évaluation", "project": "Projet professionnel", "job_search": "Recherche d'emploi",
    "in_job_support": "Accompagnement dans l'emploi", "closed": "Clos",
    # Roles
    "coordinator": "Coordinateur", "referent": "Référent", "admin": "Administrateur",
    "legal_representative": "Représentant légal", "system": "Le dossier",
    # Reminders by e-mail
    "each": "Un courriel par rappel", "digest": "Un récapitulatif par jour",
    # The case file
    "in_progress": "En cours", "reached": "Atteint", "proposed": "Proposée", "opinion_given": "Avis du médecin du travail",
    "decided": "Décidée par l'employeur", "declined": "Refusée par l'employeur", "funded": "Financée", "in_place": "En place",
    "reviewed": "Revue", "cdaph_decision": "Décision CDAPH", "esat_admission": "Admission en ESAT", "person": "La personne",
    "prescriber": "Le prescripteur", "spe_counsellor": "Conseiller du service public de l'emploi", "mdph": "MDPH",
    "training_body": "Organisme de formation", "occupational_health": "Service de santé au travail",
    "evidence_expiring": "Justificatif bientôt expiré", "link_session": "Lien de connexion à usage unique",
    # Request status
    "open": "Ouverte", "answered": "Répondue", "cancelled": "Annulée",
}  # fmt: skip


def label(code: object) -> str:
    """The French for a code of the domain; the code itself when the catalogue has none."""
    value = code.value if isinstance(code, Enum) else str(code)
    return CHOICES.get(value, value.replace("_", " "))


def step_title(step: Step | str) -> str:
    return STEP_TITLES.get(Step(step), str(step))


REFUSALS: dict[RefusalCode, str] = {
    RefusalCode.NO_INPUT: "Cette étape demande ses champs.",
    RefusalCode.NO_ACTOR: "Cette étape doit dire qui agit.",
    RefusalCode.NOT_IN_PHASE: "« {step} » n'est pas possible à l'étape « {phase} ». Possible maintenant : {possible}.",
    RefusalCode.ROLE_NOT_ALLOWED: "Un(e) {role} ne peut pas « {step} ». C'est le rôle de : {allowed}.",
    RefusalCode.NOT_THE_CASES_REFERENT: "Vous n'êtes pas le référent de ce dossier.",
    RefusalCode.NOT_THE_CASES_EMPLOYER: "Cet employeur n'est pas partie à ce dossier.",
    RefusalCode.NOT_THE_PERSON: "Seule la personne accompagnée peut faire cette démarche.",
    RefusalCode.NOT_THE_REPRESENTATIVE: "Ce représentant n'est pas désigné sur ce dossier.",
    RefusalCode.ALREADY_REPRESENTATIVE: "Ce représentant légal est déjà désigné sur ce dossier.",
    RefusalCode.NOT_A_SIGNATORY: "Chaque partie signe pour elle-même : vous ne pouvez pas signer pour « {party} ».",
    RefusalCode.DATE_IN_FUTURE: "{what} : le {date} n'est pas encore arrivé.",
    RefusalCode.DATE_BEFORE: "{what} : le {date} précède {earlier} (le {earlier_date}).",
    RefusalCode.BIRTH_DATE_IMPLAUSIBLE: "La date de naissance {date} n'est pas plausible.",
    RefusalCode.TOO_YOUNG: "La personne a {age} ans le {on} : le dispositif commence à {minimum_age} ans.",
    RefusalCode.NO_SITUATION: "Aucune situation n'est enregistrée : indiquez-la (RQTH, ESAT ou en emploi).",
    RefusalCode.SITUATION_NOT_OPEN: "Cette situation n'ouvre pas droit au dispositif.",
    RefusalCode.NOT_A_PARTY: "« {party} » n'est pas partie à cette convention.",
    RefusalCode.ALREADY_SIGNED: "« {party} » a déjà signé le {on}.",
    RefusalCode.ALREADY_EMPLOYER: "Cet employeur est déjà l'employeur actuel de la personne.",
    RefusalCode.NO_JOB: "La personne n'a pas d'emploi en cours.",
    RefusalCode.ALREADY_REFERENT: "Ce référent suit déjà ce dossier.",
    RefusalCode.DORMANT_NEEDS_LEVEL: "Le dossier est en veille : choisissez l'intensité dont vous réglez le rythme.",
    RefusalCode.SAME_INTENSITY: "L'accompagnement est déjà à cette intensité.",
    RefusalCode.PROSPECTION_WHILE_EMPLOYED: "La personne a un emploi : enregistrez plutôt un contact avec l'employeur.",
    RefusalCode.NO_EMPLOYER: "Ce dossier n'a pas encore d'employeur.",
    RefusalCode.EMPLOYER_NOT_PARTY: "Cet employeur n'est pas partie à ce dossier.",
    RefusalCode.UNKNOWN_REQUEST: "Cette demande n'existe pas sur ce dossier.",
    RefusalCode.REQUEST_CLOSED: "Cette demande est déjà traitée.",
    RefusalCode.CASELOAD_FULL: "Le portefeuille de ce référent est complet : indiquez un motif pour le dépasser.",
    RefusalCode.REGISTRY_UNAVAILABLE: "Le registre n'a pas répondu, rien n'a changé : réessayez.",
    RefusalCode.CLOSED_MEANWHILE: "Le dossier a été clos pendant la désignation.",
    RefusalCode.EMPLOYEE_WITHOUT_EMPLOYER: "La situation « en emploi » demande un employeur : ce dossier n'en a pas.",
    RefusalCode.NO_JOB_WITH_EMPLOYER: "La personne n'a pas d'emploi chez cet employeur.",
    RefusalCode.WHICH_JOB: "La personne a plusieurs emplois : indiquez lequel a pris fin.",
    RefusalCode.NO_AMENDMENT: "Aucun avenant n° {number} n'attend de signature.",
    RefusalCode.DEROGATION_BY_COORDINATOR: "Seul un coordinateur peut admettre une personne par dérogation.",
    RefusalCode.DEROGATION_NOT_NEEDED: "La personne remplit les critères : aucune dérogation n'est nécessaire.",
    RefusalCode.DEROGATION_NEEDS_SITUATION: "Une dérogation demande tout de même la situation de la personne.",
    RefusalCode.UNKNOWN_ADAPTATION: "Cette adaptation n'existe pas sur ce dossier (connues : {known}).",
    RefusalCode.ADAPTATION_STAGE: "Une adaptation « {current} » ne peut pas passer à « {stage} ». Étape suivante possible : {allowed}.",
    RefusalCode.ADAPTATION_ACTOR: "Un(e) {role} n'enregistre pas l'étape « {stage} » d'une adaptation : le référent propose, l'employeur décide.",
    RefusalCode.ADAPTATION_NEEDS: "Cette étape de l'adaptation demande aussi : {field}.",
    RefusalCode.ALREADY_PARTNER: "Ce partenaire est déjà associé au dossier.",
    RefusalCode.WHICH_PARTNER: "Une demande orientée vers un partenaire nomme ce partenaire.",
    RefusalCode.NO_CONSENT_YET: "La personne n'a pas encore donné son consentement : rien ne peut être fait avant.",
}


DATE_NAMES: dict[Dated, str] = {
    Dated.CONSENT: "Date du consentement", Dated.WITHDRAWAL: "Date du retrait", Dated.PRESCRIPTION: "Date de la prescription",
    Dated.SIGNATURE: "Date de signature", Dated.EVALUATION: "Date de l'évaluation", Dated.PROJECT: "Date du projet",
    Dated.JOB_START: "Début de l'emploi", Dated.JOB_END: "Fin de l'emploi", Dated.CHANGE_OF_POST: "Changement de poste",
    Dated.REVIEW: "Date du point d'étape", Dated.CONTACT: "Date du contact", Dated.ADAPTATION: "Date de l'adaptation",
    Dated.VALIDITY_START: "Début de validité", Dated.TRAINING: "Date de la formation",
}  # fmt: skip
"""A refused date (a date refusal's `what`), in French."""
EARLIER_NAMES: dict[Dated, str] = {
    Dated.OPENING: "l'ouverture du dossier", Dated.CONSENT: "le consentement", Dated.PRESCRIPTION: "la prescription",
    Dated.EVALUATION: "l'évaluation", Dated.JOB_START: "le début de l'emploi",
}  # fmt: skip
"""The event a refused date may not precede (`earlier`), in French."""


def refusal_text(reason: Refusal | None) -> str:
    """Every rule the step fails, in French, one sentence each (input no rule names: said plainly)."""
    if reason is None:
        return "Cette étape n'est pas possible maintenant."
    return " ".join(_sentence(each) for each in (reason, *reason.also))


def _sentence(reason: Refusal) -> str:
    params = dict(reason.params)
    for name in ("step", "possible", "allowed"):
        if name in params:
            params[name] = ", ".join(_step_or_role(part) for part in params[name].split(", "))
    for name in ("phase", "role", "party", "stage", "current"):
        if name in params:
            params[name] = label(params[name])
    for name, words in (("what", DATE_NAMES), ("earlier", EARLIER_NAMES)):
        if name in params:
            params[name] = words.get(params[name], params[name])  # type: ignore[call-overload]
    for name in ("date", "earlier_date"):
        if name in params:
            params[name] = _day(params[name])
    if "field" in params:
        params["field"] = FIELD_LABELS.get(params["field"], params["field"]).lower()
    sentence = REFUSALS[reason.code]
    try:
        return sentence.format(**params)
    except KeyError:  # a parameter the sentence names was not sent: say the rule without it
        return sentence.split("{")[0].rstrip(" «(") + "."


def _day(text: str) -> str:
    try:
        return french_date(date.fromisoformat(text))
    except ValueError:
        return text


def _step_or_role(name: str) -> str:
    try:
        return step_title(name).lower()
    except ValueError:
        return label(name)


_INPUT_ERRORS = {
    "missing": "Ce champ est obligatoire.",
    "date_from_datetime_parsing": "Indiquez une date (jj/mm/aaaa).",
    "date_parsing": "Indiquez une date (jj/mm/aaaa).",
    "date_from_datetime_inexact": "Indiquez une date (jj/mm/aaaa).",
    "enum": "Choisissez une valeur de la liste.",
    "literal_error": "Choisissez une valeur de la liste.",
    "float_parsing": "Indiquez un nombre.",
    "int_parsing": "Indiquez un nombre entier.",
    "greater_than": "La valeur est trop petite.",
    "greater_than_equal": "La valeur est trop petite.",
    "less_than_equal": "La valeur est trop grande.",
    "string_too_short": "Le texte est trop court.",
    "string_too_long": "Le texte est trop long.",
    "string_pattern_mismatch": "Ce texte contient des caractères non admis.",
}

_VALUE_ERRORS = (
    ("an id is", "Un identifiant : lettres, chiffres, « - », « _ » ou « . », jamais un nom."),
    ("needs the employer_id", "Une personne en emploi : indiquez son employeur actuel."),
    ("give the employer_id", "Quand l'employeur demande l'accompagnement, indiquez-le."),
    ("job_search_review_every, in_job_review_every", "Indiquez au moins un rythme."),
    ("phase_changed is set by the case", "Choisissez le motif de ce changement."),
    ("names the employer", "Ce type de contact nomme l'employeur rencontré."),
    ("withdrawal of consent", "Le retrait du consentement s'enregistre avec son étape."),
    ("not a valid SIRET", "Ce SIRET n'est pas valide : 14 chiffres dont les clés de contrôle sont justes."),
    ("cannot be true", "Cette date de naissance n'est pas plausible."),
    ("email address", "Adresse électronique non valide."),
)
"""Our models' own rules (and the validators they use), in French: the English message names which."""


def _value_error(message: str) -> str:
    return next((french for found, french in _VALUE_ERRORS if found in message), "Valeur non valide.")


def input_errors(error: ValidationError) -> dict[str, str]:
    """Each field's problem in French, keyed by the form field's name (`prescription.decision_date`);
    a problem of the whole form is keyed ''."""
    found: dict[str, str] = {}
    for problem in error.errors():
        location = [str(part) for part in problem["loc"] if not str(part).startswith(("function-", "lax-", "strict-"))]
        if len(location) >= 2 and location[0] == "prescription" and location[1] in ("cdaph", "spe"):
            location.pop(1)  # the discriminated union names the variant: the form's field does not
        french = _value_error(problem["msg"]) if problem["type"] == "value_error" else _INPUT_ERRORS.get(problem["type"], "Valeur non valide.")
        found.setdefault(".".join(location), french)
    return found


EVENTS: dict[str, str] = {
    "case_opened": "Dossier ouvert", "give_consent": "Consentement recueilli", "withdraw_consent": "Consentement retiré",
    "record_prescription": "Prescription enregistrée", "sign_convention": "Convention signée par une partie",
    "submit_evaluation": "Évaluation close", "submit_project": "Projet professionnel validé", "record_hiring": "Embauche",
    "amendment_proposed": "Avenant proposé", "sign_amendment": "Avenant signé par une partie", "record_job_loss": "Fin d'emploi",
    "record_change_of_post": "Changement de poste", "assign_referent": "Référent désigné",
    "set_review_cadence": "Rythme des points d'étape réglé", "complete_review": "Point d'étape tenu",
    "record_contact": "Contact", "name_representative": "Représentant légal désigné", "record_training": "Formation",
    "submit_employer_request": "Demande de l'employeur", "request_support": "Demande de la personne",
    "respond_to_request": "Réponse à une demande", "close": "Accompagnement clos", "reopen": "Accompagnement rouvert",
    "intensity_changed": "Intensité modifiée", "phase_reminder": "Relance : étape en attente", "review_due": "Point d'étape à tenir",
    "review_overdue": "Point d'étape en retard", "request_overdue": "Demande sans réponse dans le délai",
    "document_failed": "Document non produit", "identity_erased": "Identité effacée", "retention_warning": "Avertissement de conservation",
    "notification_failed": "Message non distribué", "record_adaptation": "Adaptation du poste", "record_evidence": "Justificatif",
    "link_partner": "Partenaire associé", "case_file_viewed": "Dossier consulté (ligne de commande)",
    "evidence_expiring": "Justificatif bientôt expiré",
    # Notifications (the outbox's kinds), for « rappels » on the day's page
    "review_escalation": "Point d'étape en retard, signalé au coordinateur", "request_received": "Nouvelle demande",
    "request_escalation": "Demande en retard, signalée au coordinateur", "request_acknowledged": "Accusé de réception envoyé",
    "request_answered": "Réponse envoyée", "convention_to_sign": "Convention à signer", "amendment_to_sign": "Avenant à signer",
}  # fmt: skip


def event_label(kind: str) -> str:
    return EVENTS.get(kind, kind.replace("_", " ").capitalize())


ACCOUNT_REFUSALS: dict[str, str] = {
    "password_short": "Le mot de passe doit compter au moins 12 caractères.",
    "email_taken": "Un compte utilise déjà cette adresse.",
    "referent_unknown": "Le compte d'un référent désigne sa fiche dans l'annuaire : choisissez-la.",
    "referent_taken": "Ce référent a déjà un compte.",
    "structure_needed": "Le compte d'un coordinateur désigne sa structure : choisissez-la.",
    "no_account": "Aucun compte n'utilise cette adresse.",
}
