"""A whole case run from the web alone, over HTTP: the coordinator opens it and the person consents
and signs from their space; the structure signs, the référent records the evaluation, the project
and the hiring; the employer signs its amendment and sends a request from its space; the
référent answers it; a legal representative acts for a person with the same pages."""

from __future__ import annotations

from datetime import date

from activities.registry.directory import EmployerEntry, upsert
from activities.registry.people import ProtectiveMeasure, RepresentativeIdentity, register_representative
from starter.scripted import Cases, made_up_siret
from tests.notify_harness import Inbox
from tests.web_harness import Browser, Staff, document_of, signed_in_by_link
from web.state import Web
from workflows.case.model import ActorRole, Party, Phase, Step

TODAY = date.today().isoformat()


async def _step(browser: Browser, case_id: str, step: str, form: dict[str, str]) -> None:
    await browser.get(f"/dossiers/{case_id}")
    sent = await browser.post(f"/dossiers/{case_id}/etapes/{step}", form)
    assert sent.status_code == 303, f"{step}: {sent.status_code} {sent.text[-600:]}"


async def _open_from_the_web(coordinator: Browser, staff: Staff, email: str) -> str:
    await coordinator.get("/dossiers/nouveau")
    opened = await coordinator.post("/dossiers/nouveau", {"first_name": "Inès", "last_name": "Web", "birth_date": "1992-03-04",
                                                          "email": email, "situation": "rqth", "referent_id": staff.referent_a,
                                                          "asked_by": "person"})  # fmt: skip
    assert opened.status_code == 303, opened.text[-600:]
    return opened.headers["location"].split("/")[2].split("?")[0]


async def test_a_whole_case_from_the_browsers_of_everyone_concerned(cases: Cases, web: Web, staff: Staff, inbox: Inbox) -> None:
    coordinator, referent = Browser(web, address="10.40.0.1"), Browser(web, address="10.40.0.2")
    await coordinator.sign_in(staff.emails["coordinator_a"])
    await referent.sign_in(staff.emails["referent_a"])
    person_email = f"ines.{staff.structure_a}@example.fr"
    case_id = await _open_from_the_web(coordinator, staff, person_email)

    person = Browser(web, address="10.40.0.3")
    await signed_in_by_link(person, inbox, person_email)
    await person.get(f"/espace/dossiers/{case_id}")
    assert (await person.post(f"/espace/dossiers/{case_id}/consentement", {})).status_code == 303

    await _step(coordinator, case_id, "record_prescription", {"prescription.route": "spe", "prescription.prescriber": "cap_emploi",
                                                               "prescription.prescriber_reference": "CE-1", "prescription.prescription_date": TODAY})  # fmt: skip
    convention = await document_of(web, case_id, "convention")
    await person.get(f"/espace/dossiers/{case_id}")
    signed = await person.post(f"/espace/dossiers/{case_id}/signature", {"document": "convention", "content_hash": convention.content_hash})
    assert signed.status_code == 303
    await _step(coordinator, case_id, "sign_convention", {"party": "structure", "signed_on": TODAY})
    assert (await cases.status(case_id)).phase is Phase.EVALUATION

    await _step(referent, case_id, "submit_evaluation", {"completed_on": TODAY, "findings.capacities": "Rigueur"})
    await _step(referent, case_id, "submit_project", {"agreed_on": TODAY, "content.target_jobs": "M1607"})
    employer_id, employer_email = f"emp-web-{case_id.lower()}", f"rh.{case_id.lower()}@entreprise.fr"
    upsert(web.registry, EmployerEntry(id=employer_id, name="Entreprise Web", siret=made_up_siret(employer_id), email=employer_email))
    await _step(referent, case_id, "record_hiring", {"employer_id": employer_id, "contract_type": "cdi", "start_date": TODAY})
    assert (await cases.status(case_id)).phase is Phase.IN_JOB_SUPPORT

    employer = Browser(web, address="10.40.0.4")
    await signed_in_by_link(employer, inbox, employer_email)
    amendment = await document_of(web, case_id, "amendment")
    await employer.get(f"/espace/dossiers/{case_id}")
    signed = await employer.post(f"/espace/dossiers/{case_id}/signature-avenant",
                                 {"document": "amendment-1", "content_hash": amendment.content_hash, "number": "1"})  # fmt: skip
    assert signed.status_code == 303
    await employer.get(f"/espace/dossiers/{case_id}")
    assert (await employer.post(f"/espace/dossiers/{case_id}/demande", {"kind": "mediation"})).status_code == 303
    request = (await cases.status(case_id)).requests[-1]

    await _step(referent, case_id, "respond_to_request", {"request_id": request.request_id, "outcome": "meeting_scheduled"})
    answered = await employer.get(f"/espace/dossiers/{case_id}")
    assert "répondue le" in answered.text and "Rendez-vous fixé" in answered.text
    await document_of(web, case_id, "request_response")
    letters = await employer.get(f"/espace/dossiers/{case_id}")
    assert "Réponse à votre demande" in letters.text, "the employer reads the answer to its own request"
    assert "Rapport d&#39;évaluation" not in letters.text, "never the person's evaluation"
    assert Party.EMPLOYER in (await cases.status(case_id)).amendments[0].signatures
    for each in (coordinator, referent, person, employer):
        await each.close()


async def test_a_legal_representative_acts_for_the_person_with_the_same_pages(cases: Cases, web: Web, inbox: Inbox) -> None:
    case_id = await cases.open(referent_id="ref-representative")
    state = await cases.status(case_id)
    email = f"tuteur.{case_id.lower()}@example.fr"
    representative = RepresentativeIdentity(id=f"rep-{case_id.lower()}", beneficiary_id=state.beneficiary_id, first_name="Paul",
                                            last_name="Tuteur", measure=ProtectiveMeasure.TUTELLE, email=email)  # fmt: skip
    register_representative(web.registry, representative)
    await cases.step(case_id, Step.NAME_REPRESENTATIVE, representative_id=representative.id)
    browser = Browser(web, address="10.41.0.1")
    await signed_in_by_link(browser, inbox, email)
    page = await browser.get(f"/espace/dossiers/{case_id}")
    assert page.status_code == 200 and "Rien ne se fait sans votre accord." in page.text
    assert (await browser.post(f"/espace/dossiers/{case_id}/consentement", {})).status_code == 303
    state = await cases.status(case_id)
    assert state.phase is Phase.PRESCRIPTION and state.consent_by is not None and state.consent_by.role is ActorRole.LEGAL_REPRESENTATIVE
    other = await cases.open(referent_id="ref-representative")
    assert (await browser.get(f"/espace/dossiers/{other}")).status_code == 404, "another person's case"
    await browser.close()
