"""The CLI's words for a refused step: one sentence per refusal code, naming what a person types.

The core refuses with a code and parameters; this catalogue is where they become English for
the terminal (a web interface keeps a French catalogue of its own).
"""

from __future__ import annotations

from workflows.case.dates import Dated
from workflows.case.refusals import Refusal, RefusalCode
from workflows.case.steps import VERBS

MESSAGES: dict[RefusalCode, str] = {
    RefusalCode.NO_INPUT: "this step needs its fields; see `ea COMMAND --help`",
    RefusalCode.NO_ACTOR: "`ea {step}` names no actor: every step says who acts (role:id, e.g. referent:ref-12)",
    RefusalCode.NOT_IN_PHASE: "`ea {step}` is not possible in phase {phase}; possible now: {possible}",
    RefusalCode.ROLE_NOT_ALLOWED: "a {role} may not use `ea {step}`; it is for: {allowed}",
    RefusalCode.NOT_THE_CASES_REFERENT: "{actor} is not the référent of this case (its référent: {referent})",
    RefusalCode.NOT_THE_CASES_EMPLOYER: "{actor} is not the employer party to this case",
    RefusalCode.NOT_THE_PERSON: "{actor} is not the person this case is about",
    RefusalCode.NOT_THE_REPRESENTATIVE: "{actor} is not named as the person's legal representative on this case "
                                        "(`ea representative {actor} --case ...` names them)",
    RefusalCode.ALREADY_REPRESENTATIVE: "{representative} is already the person's legal representative on this case",
    RefusalCode.NOT_A_SIGNATORY: "a {role} may not sign for the party {party}: each party signs for itself",
    RefusalCode.DATE_IN_FUTURE: "{what} {date} is in the future",
    RefusalCode.DATE_BEFORE: "{what} {date} is before {earlier} ({earlier_date})",
    RefusalCode.BIRTH_DATE_IMPLAUSIBLE: "birth date {date} cannot be true: not after today ({today}), nor more than {oldest_age} years before",
    RefusalCode.TOO_YOUNG: "aged {age} on {on}, the dispositif starts at {minimum_age}",
    RefusalCode.NO_SITUATION: "no situation recorded; one of {allowed} is required",
    RefusalCode.SITUATION_NOT_OPEN: "situation {situation} does not open the dispositif",
    RefusalCode.NOT_A_PARTY: "{party} is not a party to this convention; parties: {parties}",
    RefusalCode.ALREADY_SIGNED: "{party} already signed on {on}",
    RefusalCode.ALREADY_EMPLOYER: "{employer} is already the person's current employer",
    RefusalCode.NO_JOB: "the person has no current job to lose",
    RefusalCode.ALREADY_REFERENT: "{referent} is already the référent of this case",
    RefusalCode.DORMANT_NEEDS_LEVEL: "the case is dormant, without reviews: say which level's cadence to set (--level intensive or light)",
    RefusalCode.SAME_INTENSITY: "support is already {level}",
    RefusalCode.PROSPECTION_WHILE_EMPLOYED: "the person has a job: prospection is for job search; record a contact with the employer",
    RefusalCode.NO_EMPLOYER: "this case has no employer yet: employer requests need an employer party",
    RefusalCode.EMPLOYER_NOT_PARTY: "employer {employer} is not a party to this case",
    RefusalCode.UNKNOWN_REQUEST: "no request {request} on this case; open requests: {open}",
    RefusalCode.REQUEST_CLOSED: "request {request} is already {status}",
    RefusalCode.CASELOAD_FULL: "{detail}",
    RefusalCode.REGISTRY_UNAVAILABLE: "the registry did not answer, the référent is unchanged: try again",
    RefusalCode.CLOSED_MEANWHILE: "the case closed while the référent was being assigned",
    RefusalCode.EMPLOYEE_WITHOUT_EMPLOYER: "situation employee needs the current employer, and this case has none: "
                                           "record the person's real situation (rqth or esat)",
    RefusalCode.NO_JOB_WITH_EMPLOYER: "the person holds no job with {employer}; their employers: {employers}",
    RefusalCode.WHICH_JOB: "the person holds several jobs: say which one ended with --employer ({employers})",
    RefusalCode.NO_AMENDMENT: "no amendment {number} to sign; awaiting signatures: {awaiting}",
    RefusalCode.DEROGATION_BY_COORDINATOR: "only a coordinator admits a person outside the standard criteria",
    RefusalCode.DEROGATION_NOT_NEEDED: "the person meets the standard criteria: no derogation to record",
    RefusalCode.DEROGATION_NEEDS_SITUATION: "a derogation still needs the person's situation (--situation)",
    RefusalCode.UNKNOWN_ADAPTATION: "no adaptation {adaptation} on this case (known: {known})",
    RefusalCode.ADAPTATION_STAGE: "an adaptation {current} cannot become {stage}; next: {allowed}",
    RefusalCode.ADAPTATION_ACTOR: "a {role} does not record an adaptation as {stage}: {allowed} does (the référent proposes, the employer decides)",
    RefusalCode.ADAPTATION_NEEDS: "an adaptation {stage} needs its {field} (--{field})",
    RefusalCode.ALREADY_PARTNER: "{partner} is already a partner on this case",
    RefusalCode.WHICH_PARTNER: "a request referred to a partner names the partner (--partner ID)",
    RefusalCode.NO_CONSENT_YET: "the person has not consented yet, and nothing is done for anyone before they do: "
                                "the employer may ask again once `ea consent` is recorded",
}


DATE_NAMES: dict[Dated, str] = {
    Dated.CONSENT: "the consent date", Dated.WITHDRAWAL: "the withdrawal date", Dated.PRESCRIPTION: "the prescription date",
    Dated.SIGNATURE: "the signature date", Dated.EVALUATION: "the evaluation date", Dated.PROJECT: "the project date",
    Dated.JOB_START: "the start of the job", Dated.JOB_END: "the end of the job", Dated.CHANGE_OF_POST: "the change of post",
    Dated.REVIEW: "the review date", Dated.CONTACT: "the contact date", Dated.ADAPTATION: "the adaptation's date",
    Dated.VALIDITY_START: "the start of validity", Dated.TRAINING: "the training date",
}  # fmt: skip
"""A refused date (a date refusal's `what`)."""
EARLIER_NAMES: dict[Dated, str] = {
    Dated.OPENING: "the opening of the case", Dated.CONSENT: "the consent", Dated.PRESCRIPTION: "the prescription",
    Dated.EVALUATION: "the evaluation", Dated.JOB_START: "the start of the job",
}  # fmt: skip
"""The event a refused date may not precede (`earlier`)."""


def _verbs(names: str) -> str:
    """Step names (one, or a comma-separated list) as the commands a person types."""
    return ", ".join(VERBS.get(name, name) for name in names.split(", "))


INELIGIBLE = frozenset({RefusalCode.TOO_YOUNG, RefusalCode.NO_SITUATION, RefusalCode.SITUATION_NOT_OPEN})


def explain(reason: Refusal) -> str:
    sentences = "; ".join(_sentence(each) for each in (reason, *reason.also))
    return f"ineligible: {sentences}" if reason.code in INELIGIBLE else sentences


def _sentence(reason: Refusal) -> str:
    params = dict(reason.params)
    for name in ("step", "possible"):
        if name in params:
            params[name] = _verbs(params[name])
    for name, words in (("what", DATE_NAMES), ("earlier", EARLIER_NAMES)):
        if name in params:
            params[name] = words.get(params[name], params[name])  # type: ignore[call-overload]
    return MESSAGES[reason.code].format(**params)
