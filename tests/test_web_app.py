"""The staff application over HTTP, on the real Temporal dev server and registry: a référent's
work, generated step forms, refusals in French, documents, the access log, hostile input."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.registry.journal import Registry
from activities.registry.schema import AccessLogEntry
from starter.scripted import Cases
from tests.web_harness import Browser, Staff
from workflows.case.events import JournalEntry
from workflows.case.model import Phase, Step

TODAY = date.today().isoformat()
from web.state import Web


@pytest.fixture
async def referent(web: Web, staff: Staff) -> AsyncIterator[Browser]:
    browser = Browser(web)
    assert (await browser.sign_in(staff.emails["referent_a"])).status_code == 303
    yield browser
    await browser.close()


async def test_a_referent_records_a_review_from_the_generated_form(cases: Cases, staff: Staff, referent: Browser) -> None:
    case_id = await cases.open(structure_id=staff.structure_a, referent_id=staff.referent_a)
    await cases.walk_to(case_id, Phase.JOB_SEARCH)

    page = await referent.get(f"/dossiers/{case_id}")
    assert page.status_code == 200
    assert "Enregistrer un point d&#39;étape" in page.text or "Enregistrer un point d'étape" in page.text
    update_id = re.search(r'name="update_id" value="([^"]+-complete_review)"', page.text).group(1)  # type: ignore[union-attr]

    form = {"held_on": TODAY, "update_id": update_id}
    sent = await referent.post(f"/dossiers/{case_id}/etapes/complete_review", form)
    assert sent.status_code == 303, sent.text
    again = await referent.post(f"/dossiers/{case_id}/etapes/complete_review", form)  # the same form sent twice
    assert again.status_code == 303
    state = await cases.status(case_id)
    assert state.review.held == 1, "a form sent twice is recorded once (its update id)"

    shown = await referent.get(sent.headers["location"])
    assert "c&#39;est enregistré" in shown.text or "c'est enregistré" in shown.text


async def test_a_refused_step_says_why_in_french_next_to_its_form(cases: Cases, staff: Staff, referent: Browser) -> None:
    case_id = await cases.open(structure_id=staff.structure_a, referent_id=staff.referent_a)
    await cases.walk_to(case_id, Phase.EVALUATION)
    await referent.get(f"/dossiers/{case_id}")
    refused = await referent.post(f"/dossiers/{case_id}/etapes/submit_evaluation", {"completed_on": "2999-01-01"})
    assert refused.status_code == 409
    assert "n&#39;est pas encore arrivé" in refused.text
    missing = await referent.post(f"/dossiers/{case_id}/etapes/submit_evaluation", {"completed_on": ""})
    assert missing.status_code == 422
    assert "Ce champ est obligatoire." in missing.text
    assert (await cases.status(case_id)).phase is Phase.EVALUATION


async def test_the_actor_is_the_signed_in_referent_whatever_the_form_says(cases: Cases, staff: Staff, referent: Browser,
                                                                          registry: Registry) -> None:  # fmt: skip
    case_id = await cases.open(structure_id=staff.structure_a, referent_id=staff.referent_a)
    await cases.walk_to(case_id, Phase.EVALUATION)
    await referent.get(f"/dossiers/{case_id}")
    sent = await referent.post(f"/dossiers/{case_id}/etapes/submit_evaluation",
                               {"completed_on": TODAY, "actor": "coordinator:intruder", "actor.role": "coordinator"})  # fmt: skip
    assert sent.status_code == 303
    entry = await _journaled(registry, case_id, Step.SUBMIT_EVALUATION)
    assert str(entry.actor) == f"referent:{staff.referent_a}"


async def _journaled(registry: Registry, case_id: str, step: Step) -> JournalEntry:
    """The step's journal entry, once the worker has written it (a moment after the update)."""
    for _ in range(100):
        if found := [e for e in registry.journal(case_id) if e.kind == step.value]:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"{step} never reached the journal of {case_id}")


async def test_every_display_of_a_file_is_in_the_access_log(cases: Cases, staff: Staff, web: Web, referent: Browser) -> None:
    case_id = await cases.open(structure_id=staff.structure_a, referent_id=staff.referent_a)
    await referent.get(f"/dossiers/{case_id}")
    await referent.get(f"/dossiers/{case_id}")
    with Session(web.registry) as session:
        logged = session.scalars(select(AccessLogEntry).where(AccessLogEntry.case_id == case_id)).all()
    assert [entry.what for entry in logged] == ["case", "case"]
    coordinator = Browser(web)
    await coordinator.sign_in(staff.emails["coordinator_a"])
    log = await coordinator.get("/journal-des-acces")
    assert log.status_code == 200 and case_id in log.text and "referent_a" in log.text
    await coordinator.close()


async def test_a_new_referent_is_set_up_from_the_browser_alone(web: Web, staff: Staff) -> None:
    """The admin adds the référent to the directory and makes their account; they sign in and see their day."""
    admin = Browser(web, address="10.20.0.1")
    await admin.sign_in(staff.emails["admin"])
    await admin.get("/annuaire")
    added = await admin.post("/annuaire/referent", {"id": "ref-new-web", "name": "Nadia Nouvelle", "structure_id": staff.structure_a,
                                                    "email": "n.nouvelle@plateforme.fr", "capacity": "18"})  # fmt: skip
    assert added.status_code == 303, added.text
    refused = await admin.post("/annuaire/referent", {"id": "x y", "name": "", "email": "not-an-address"})
    assert refused.status_code == 422
    assert "Un identifiant : lettres" in refused.text and "Adresse électronique non valide." in refused.text
    await admin.get("/comptes")
    made = await admin.post("/comptes", {"email": "n.nouvelle@plateforme.fr", "name": "Nadia Nouvelle", "role": "referent",
                                         "referent_id": "ref-new-web", "password": "un mot de passe assez long"})  # fmt: skip
    assert made.status_code == 303, made.text
    weak = await admin.post("/comptes", {"email": "x@plateforme.fr", "name": "X", "role": "coordinator", "structure_id": staff.structure_a,
                                         "password": "court"})  # fmt: skip
    assert weak.status_code == 422 and "12 caractères" in weak.text

    newcomer = Browser(web, address="10.20.0.2")
    assert (await newcomer.sign_in("n.nouvelle@plateforme.fr", "un mot de passe assez long")).status_code == 303
    day = await newcomer.get("/ma-journee")
    assert day.status_code == 200 and "Ma journée" in day.text
    assert (await newcomer.get("/portefeuille")).status_code == 200

    coordinator = Browser(web, address="10.20.0.3")
    await coordinator.sign_in(staff.emails["coordinator_a"])
    await coordinator.get("/annuaire")
    assert (await coordinator.post("/annuaire/structure", {"id": "struct-new", "name": "Nouvelle"})).status_code == 403
    employer = await coordinator.post("/annuaire/employer", {"id": "emp-web", "name": "Boulangerie Web", "siret": "12345678901234"})
    assert employer.status_code == 422 and "Ce SIRET n&#39;est pas valide" in employer.text
    for each in (admin, newcomer, coordinator):
        await each.close()


async def test_the_day_shows_requests_with_deadlines_and_the_answer_clears_them(cases: Cases, staff: Staff, referent: Browser,
                                                                                 web: Web) -> None:  # fmt: skip
    case_id = await cases.open(structure_id=staff.structure_a, referent_id=staff.referent_a)
    await cases.walk_to(case_id, Phase.JOB_SEARCH)
    await cases.hire(case_id, "emp-day")
    acknowledgement = await cases.request(case_id, "emp-day", "workstation_adaptation")
    day = await _until(referent, "/ma-journee", acknowledgement.request_id)
    assert "Adaptation du poste" in day and "Répondre avant le" in day
    caseload = await referent.get("/portefeuille")
    assert case_id in caseload.text and "Accompagnement dans l&#39;emploi" in caseload.text

    page = await referent.get(f"/dossiers/{case_id}")
    assert f'<option value="{acknowledgement.request_id}"' in page.text, "the answer form offers the open request"
    answered = await referent.post(f"/dossiers/{case_id}/etapes/respond_to_request",
                                   {"request_id": acknowledgement.request_id, "outcome": "meeting_scheduled"})  # fmt: skip
    assert answered.status_code == 303
    assert (await cases.status(case_id)).open_requests == 0

    coordinator = Browser(web, address="10.21.0.1")
    await coordinator.sign_in(staff.emails["coordinator_a"])
    report = await coordinator.get("/rapport/activite?du=2026-01-01&au=2026-12-31")
    assert report.status_code == 200 and "<script" not in report.text
    assert "script-src" not in report.headers["content-security-policy"] and "default-src 'none'" in report.headers["content-security-policy"]
    assert (await coordinator.get("/rapport/activite?du=2026-12-31&au=2026-01-01")).status_code == 422
    await coordinator.close()


async def _until(browser: Browser, path: str, text: str) -> str:
    """The page once the registry shows `text` (the journal is written a moment after the step)."""
    for _ in range(100):
        page = (await browser.get(path)).text
        if text in page:
            return page
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never showed {text}")


async def test_the_evaluation_form_carries_the_findings_and_a_list_of_tools(cases: Cases, staff: Staff, referent: Browser,
                                                                            registry: Registry) -> None:  # fmt: skip
    case_id = await cases.open(structure_id=staff.structure_a, referent_id=staff.referent_a)
    await cases.walk_to(case_id, Phase.EVALUATION)
    page = await referent.get(f"/dossiers/{case_id}")
    assert 'name="findings.capacities"' in page.text and "<textarea" in page.text
    sent = await referent.post(f"/dossiers/{case_id}/etapes/submit_evaluation",
                               {"completed_on": TODAY, "findings.capacities": "Rigueur, sens du contact",
                                "findings.tools": "Mise en situation\nEntretien\n\n"})  # fmt: skip
    assert sent.status_code == 303, sent.text
    entry = await _journaled(registry, case_id, Step.SUBMIT_EVALUATION)
    assert entry.event.findings is not None and entry.event.findings.tools == ["Mise en situation", "Entretien"]  # type: ignore[union-attr]
