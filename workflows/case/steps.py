"""One declaration per step: everything the edges and the workflow need to know about it.

Its input model, who may take it, its check and its effect (in `decisions`), the events it
journals, the document it triggers, what it answers, and its CLI verb with a one-line help and an
example. The phases where it is allowed come from the transition table. The workflow registers
one update per declaration; the CLI, `ea steps`, the README's table and the list of documents are
derived from here. `refuse` and `apply` are the two doors every step goes through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from workflows.case import dates
from workflows.case import decisions as d
from workflows.case import events as e
from workflows.case import rules
from workflows.case.events import JournalEntry
from workflows.case.model import (
    PERSON_ROLES,
    Actor,
    STAFF_ROLES,
    ActorRole,
    AssignReferent,
    CaseState,
    CloseCase,
    CompleteReview,
    GiveConsent,
    LinkPartner,
    Phase,
    RecordAdaptation,
    RecordEvidence,
    RecordChangeOfPost,
    RecordContact,
    RecordHiring,
    RecordJobLoss,
    RecordPrescription,
    NameRepresentative,
    RecordTraining,
    RequestAcknowledgement,
    RequestSupport,
    RespondToRequest,
    SetIntensity,
    SetReviewCadence,
    SignAmendment,
    SignConvention,
    Step,
    StepAcknowledgement,
    StepInput,
    SubmitEmployerRequest,
    SubmitEvaluation,
    SubmitProject,
    WithdrawConsent,
)
from workflows.case.refusals import Refusal, RefusalCode, refusal

COORDINATOR = frozenset({ActorRole.COORDINATOR})


@dataclass(frozen=True)
class StepDeclaration:
    step: Step
    """Also the name of the workflow update."""
    input: type[StepInput]
    roles: frozenset[ActorRole]
    check: Callable[[CaseState, Any, date], Refusal | None]
    effect: Callable[[d.Decision, Any], None]
    emits: tuple[type, ...]
    verb: str
    help: str
    example: str
    document: str | None = None
    """The template (under templates/) its event produces, if any."""
    result: type = StepAcknowledgement
    reply: Callable[[CaseState], Any] = field(default=StepAcknowledgement.of)

    @property
    def name(self) -> str:
        return self.step.value

    @property
    def allowed_in(self) -> list[Phase]:
        return [phase for (phase, step) in rules.TRANSITIONS if step is self.step]


STEPS: tuple[StepDeclaration, ...] = (
    StepDeclaration(Step.GIVE_CONSENT, GiveConsent, PERSON_ROLES, d.no_check, d.give_consent,
                    (e.ConsentGiven,), "consent", "Record the person's consent: nothing happens without it.",
                    "ea --actor beneficiary:B12 consent C1A2B3 --on 2027-01-04"),
    StepDeclaration(Step.WITHDRAW_CONSENT, WithdrawConsent, PERSON_ROLES, d.no_check, d.withdraw_consent,
                    (e.ConsentWithdrawn,), "withdraw", "Record that the person withdrew consent: the case closes at once.",
                    "ea --actor beneficiary:B12 withdraw C1A2B3", document="closure_letter"),
    StepDeclaration(Step.RECORD_PRESCRIPTION, RecordPrescription, STAFF_ROLES, d.check_record_prescription,
                    d.record_prescription, (e.PrescriptionRecorded,), "prescribe",
                    "Record the CDAPH decision or the SPE prescription (checks eligibility).",
                    "ea prescribe C1A2B3 --by cap_emploi --reference CE-2027-118", document="convention"),
    StepDeclaration(Step.SIGN_CONVENTION, SignConvention, STAFF_ROLES | PERSON_ROLES | {ActorRole.EMPLOYER},
                    d.check_sign_convention, d.sign_convention, (e.ConventionSigned,), "sign",
                    "Record one party's signature of the convention individuelle d'accompagnement (each party signs for itself).",
                    "ea --actor employer:emp-4412 sign C1A2B3 --party employer --on 2027-01-10"),
    StepDeclaration(Step.SIGN_AMENDMENT, SignAmendment, STAFF_ROLES | PERSON_ROLES | {ActorRole.EMPLOYER},
                    d.check_sign_amendment, d.sign_amendment, (e.AmendmentSigned,), "sign-amendment",
                    "Record one party's signature of an amendment (avenant); it applies once every party concerned signed.",
                    "ea --actor employer:emp-4412 sign-amendment C1A2B3 --party employer --number 1"),
    StepDeclaration(Step.SUBMIT_EVALUATION, SubmitEvaluation, STAFF_ROLES, d.no_check, d.submit_evaluation,
                    (e.EvaluationSubmitted,), "evaluation",
                    "Record the evaluation of the person's situation: capacities, needs, constraints, the employer's needs, tools.",
                    "ea evaluation C1A2B3 --capacities 'Très minutieuse' --tool entretien", document="evaluation_report"),
    StepDeclaration(Step.SUBMIT_PROJECT, SubmitProject, STAFF_ROLES, d.no_check, d.submit_project,
                    (e.ProjectAgreed,), "project",
                    "Record the agreed professional project: target jobs (ROME), sectors, conditions, steps, objectives.",
                    "ea project C1A2B3 --job M1607 --sector commerce --hours 24 --objective 'Tenir un poste en boutique'",
                    document="project"),
    StepDeclaration(Step.RECORD_HIRING, RecordHiring, STAFF_ROLES, d.check_record_hiring, d.record_hiring, (e.Hired,),
                    "hire", "Record a hiring: support moves into the job (the employer joins the convention).",
                    "ea hire C1A2B3 --employer emp-4412 --contract cdi --hours 24", document="amendment"),
    StepDeclaration(Step.RECORD_JOB_LOSS, RecordJobLoss, STAFF_ROLES, d.check_record_job_loss, d.record_job_loss,
                    (e.JobLost,), "job-loss", "Record the end of the job: back to job search, without a new prescription.",
                    "ea job-loss C1A2B3 --on 2027-06-30"),
    StepDeclaration(Step.RECORD_CHANGE_OF_POST, RecordChangeOfPost, STAFF_ROLES, d.no_check,
                    d.record_change_of_post, (e.PostChanged, e.AmendmentProposed), "change-of-post",
                    "Record a change of post: back to evaluation, and an amendment for the parties to sign.",
                    "ea change-of-post C1A2B3"),
    StepDeclaration(Step.ASSIGN_REFERENT, AssignReferent, COORDINATOR, d.check_assign_referent, d.assign_referent,
                    (e.ReferentAssigned,), "assign",
                    "Assign or change the référent emploi accompagné (refused when their caseload is full, unless forced).",
                    "ea assign C1A2B3 ref-12"),
    StepDeclaration(Step.SET_REVIEW_CADENCE, SetReviewCadence, STAFF_ROLES, d.check_set_review_cadence,
                    d.set_review_cadence, (e.CadenceSet, e.AmendmentProposed), "cadence",
                    "Set the review cadence, for an intensity of support; once the convention is signed, by an amendment the parties sign.",
                    "ea cadence C1A2B3 --in-job 60d --level light"),
    StepDeclaration(Step.COMPLETE_REVIEW, CompleteReview, STAFF_ROLES, d.no_check, d.complete_review,
                    (e.ReviewHeld,), "review",
                    "Record a periodic review as held, with the support plan's objectives as it found them.",
                    "ea review C1A2B3 --on 2027-03-03 --objective 'Tenir un poste en boutique=reached'", document="review_report"),
    StepDeclaration(Step.SET_INTENSITY, SetIntensity, STAFF_ROLES, d.check_set_intensity, d.set_intensity,
                    (e.IntensityChanged,), "intensity",
                    "Set the intensity of support: intensive, light, or dormant (no review until reactivated).",
                    "ea intensity C1A2B3 light --reason stable_situation"),
    StepDeclaration(Step.RECORD_CONTACT, RecordContact, STAFF_ROLES, d.check_record_contact, d.record_contact,
                    (e.ContactRecorded,), "contact", "Record a contact made by the référent.",
                    "ea contact C1A2B3 --kind workplace --employer emp-4412"),
    StepDeclaration(Step.SUBMIT_EMPLOYER_REQUEST, SubmitEmployerRequest, STAFF_ROLES | {ActorRole.EMPLOYER},
                    d.check_submit_employer_request, d.submit_employer_request,
                    (e.EmployerRequestReceived, e.IntensityChanged), "request",
                    "Record an employer's request; the référent must answer before its deadline.",
                    "ea request C1A2B3 --employer emp-4412 --kind mediation",
                    result=RequestAcknowledgement, reply=d.acknowledge),
    StepDeclaration(Step.REQUEST_SUPPORT, RequestSupport, STAFF_ROLES | PERSON_ROLES, d.no_check, d.request_support,
                    (e.SupportRequested, e.IntensityChanged), "person-request",
                    "Record a request by the person; it is answered like an employer's, and wakes a dormant case.",
                    "ea --actor beneficiary:B12 person-request C1A2B3 --kind difficulty_alert",
                    result=RequestAcknowledgement, reply=d.acknowledge),
    StepDeclaration(Step.RESPOND_TO_REQUEST, RespondToRequest, STAFF_ROLES, d.check_respond_to_request,
                    d.respond_to_request, (e.RequestAnswered,), "respond",
                    "Record the référent's response to a request.",
                    "ea respond C1A2B3 req-1 --outcome meeting_scheduled", document="request_response"),
    StepDeclaration(Step.RECORD_TRAINING, RecordTraining, STAFF_ROLES, d.no_check, d.record_training,
                    (e.TrainingRecorded,), "training",
                    "Record a training or a bilan de compétences: planned, done or abandoned, and who funds it.",
                    "ea training C1A2B3 --kind training --title 'CACES R489 cariste' --funder agefiph --on 2027-02-01"),
    StepDeclaration(Step.RECORD_ADAPTATION, RecordAdaptation, STAFF_ROLES | {ActorRole.EMPLOYER}, d.check_record_adaptation,
                    d.record_adaptation, (e.AdaptationRecorded, e.AmendmentProposed), "adaptation",
                    "Record a stage of a workplace adaptation: the référent proposes, the médecin du travail gives an opinion, "
                    "the employer decides; then funded, in place, reviewed.",
                    "ea --actor employer:emp-4412 adaptation C1A2B3 adapt-1 --stage decided"),
    StepDeclaration(Step.RECORD_EVIDENCE, RecordEvidence, STAFF_ROLES, d.no_check, d.record_evidence, (e.EvidenceRecorded,),
                    "evidence", "Record an RQTH, a CDAPH decision or an ESAT admission with its validity (and a scan); "
                    "the référent is warned before it expires.",
                    "ea evidence C1A2B3 --kind rqth --from 2025-03-01 --until 2030-02-28 --reference RQTH-33-118"),
    StepDeclaration(Step.LINK_PARTNER, LinkPartner, STAFF_ROLES, d.check_link_partner, d.link_partner, (e.PartnerLinked,),
                    "partner", "Link a partner of the directory to the case (SPE counsellor, ESAT, MDPH, training body, "
                    "médecin du travail's service).", "ea partner C1A2B3 mdph-33"),
    StepDeclaration(Step.NAME_REPRESENTATIVE, NameRepresentative, STAFF_ROLES, d.check_name_representative,
                    d.name_representative, (e.RepresentativeNamed,), "name-representative",
                    "Name on this case the person's legal representative recorded in the registry: they may then act for the person.",
                    "ea name-representative C1A2B3 --representative rep-7"),
    StepDeclaration(Step.CLOSE, CloseCase, STAFF_ROLES, d.no_check, d.close, (e.CaseClosed,), "close",
                    "Close the case (it can be reopened later).", "ea close C1A2B3 --reason goals_reached",
                    document="closure_letter"),
)  # fmt: skip

REOPENING = StepDeclaration(Step.REOPEN, StepInput, COORDINATOR, d.no_check, lambda decision, _data: d.reopen_case(decision),
                            (e.CaseReopened,), "reopen", "Reopen a closed case for the same person: a new run that asks for consent again.",
                            "ea reopen C1A2B3")  # fmt: skip
"""Reopening starts a new run rather than updating one (so it is not among the updates); only a
coordinator does it. Declared like the others, so `ea steps` and the refusals name it alike."""

BY_STEP: dict[Step, StepDeclaration] = {declaration.step: declaration for declaration in STEPS}
BY_INPUT: dict[type[StepInput], StepDeclaration] = {declaration.input: declaration for declaration in STEPS}
DOCUMENTS: dict[str, str] = {declaration.name: declaration.document for declaration in STEPS if declaration.document} | {
    "amendment_proposed": "amendment",  # a change of cadence after signature, put in writing
}
"""The document (a template under templates/) each kind of event produces."""
SIGNED_DOCUMENTS: dict[str, str] = {"sign_convention": "convention_signed", "sign_amendment": "amendment_signed"}
"""The signed text, made once when the last party signs, with each signature's proof; kept as it was made."""


def document_for(entry: JournalEntry) -> str | None:
    """The document this journal entry produces: its kind's, or — for the signature that completes a
    convention or brings an amendment into force — the signed text."""
    if entry.kind in SIGNED_DOCUMENTS:
        completes = entry.phase_before is Phase.CONVENTION and entry.phase_after is not Phase.CONVENTION
        return SIGNED_DOCUMENTS[entry.kind] if completes or getattr(entry.event, "in_force", False) else None
    return DOCUMENTS.get(entry.kind)
EVERY_STEP: tuple[StepDeclaration, ...] = (*STEPS, REOPENING)
"""What a person can do to a case, as `ea steps` lists it."""
VERBS: dict[str, str] = {declaration.name: declaration.verb for declaration in EVERY_STEP}
"""The CLI's word for each step, for messages that name what a person can type."""


def declaration_of(data: StepInput) -> StepDeclaration:
    return BY_INPUT[type(data)]


def refuse(state: CaseState, data: object, today: date) -> Refusal | None:
    """Why this step may not be taken now by this actor, or None: who acts at all, the phase, the
    actor's role and relation to the case, the step's own rules, then its date. The workflow's validators call it, so nothing refused reaches history."""
    if not isinstance(data, StepInput) or type(data) not in BY_INPUT:
        return refusal(RefusalCode.NO_INPUT)
    declaration = declaration_of(data)
    if data.actor is None:
        return refusal(RefusalCode.NO_ACTOR, step=declaration.name)
    return (
        _phase_refusal(state, declaration.step)
        or d.actor_refusal(state, data.actor, declaration)
        or declaration.check(state, data, today)
        or dates.step_date_refusal(state, data, today)
    )


def _phase_refusal(state: CaseState, step: Step) -> Refusal | None:
    if (state.phase, step) in rules.TRANSITIONS:
        return None
    possible = ", ".join(step.value for step in rules.possible_steps(state.phase)) or "none"
    return refusal(RefusalCode.NOT_IN_PHASE, step=step.value, phase=state.phase, possible=possible)


def apply(state: CaseState, data: StepInput, now: datetime, has: Callable[[d.Since], bool] = d.always) -> list[JournalEntry]:
    """Take a step that `refuse` accepted: the state changes in place; returns what to journal."""
    decision = d.Decision(state, now, data.actor, has)
    declaration_of(data).effect(decision, data)
    return decision.entries


def open_to(state: CaseState, actor: Actor) -> list[StepDeclaration]:
    """The steps this actor may take on this case now, by phase, role and relation to the case:
    what an edge offers. Each step's own rules still decide when it is sent (`refuse`)."""
    return [declaration for declaration in STEPS
            if (state.phase, declaration.step) in rules.TRANSITIONS and d.actor_refusal(state, actor, declaration) is None]  # fmt: skip
