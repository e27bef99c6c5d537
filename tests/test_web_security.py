"""Who may do what in the staff application, over HTTP: the permission matrix for every route and
every step, sign-in throttling, CSRF, session fixation, sign-out, idle timeout, headers, hostile
values, and a Temporal server that does not answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.registry import accounts
from activities.registry.directory import EmployerEntry, StructureEntry, upsert
from activities.registry.journal import Registry
from activities.registry.schema import Document
from starter.scripted import Cases, made_up_siret
from starter.settings import ServerUnreachable
from tests.web_harness import PASSWORD, Browser, Staff, hire_staff, make_web
from web.scope import actor_of
from web.settings import WebSettings
from web.state import Web
from workflows.case import decisions, steps
from workflows.case.model import Phase

ROLES = ("referent_a", "referent_a2", "coordinator_a", "referent_b", "coordinator_b", "admin")


@pytest.fixture
async def browsers(web: Web, staff: Staff) -> AsyncIterator[dict[str, Browser]]:
    signed = {}
    for number, role in enumerate(ROLES):
        browser = Browser(web, address=f"10.1.0.{number + 1}")
        assert (await browser.sign_in(staff.emails[role])).status_code == 303
        signed[role] = browser
    yield signed
    for browser in signed.values():
        await browser.close()


async def _case_in_job_search(cases: Cases, staff: Staff) -> str:
    case_id = await cases.open(structure_id=staff.structure_a, referent_id=staff.referent_a)
    await cases.walk_to(case_id, Phase.JOB_SEARCH)
    return case_id


async def test_the_permission_matrix_of_every_page(cases: Cases, staff: Staff, web: Web, browsers: dict[str, Browser]) -> None:
    case_id = await _case_in_job_search(cases, staff)
    document_id = await _first_document(web, case_id)
    person = (await cases.status(case_id)).beneficiary_id
    expected = {
        "/ma-journee": {"referent_a": 200, "referent_a2": 200, "coordinator_a": 200, "referent_b": 200, "coordinator_b": 200, "admin": 403},
        "/portefeuille": {"referent_a": 200, "referent_a2": 200, "coordinator_a": 200, "referent_b": 200, "coordinator_b": 200, "admin": 403},
        "/dossiers/nouveau": {"referent_a": 200, "referent_a2": 200, "coordinator_a": 200, "referent_b": 200, "coordinator_b": 200, "admin": 403},
        "/annuaire": dict.fromkeys(ROLES, 200),
        "/rapport": {"referent_a": 403, "referent_a2": 403, "coordinator_a": 200, "referent_b": 403, "coordinator_b": 200, "admin": 403},
        "/fidelite": {"referent_a": 403, "referent_a2": 403, "coordinator_a": 200, "referent_b": 403, "coordinator_b": 200, "admin": 403},
        "/journal-des-acces": {"referent_a": 403, "referent_a2": 403, "coordinator_a": 200, "referent_b": 403, "coordinator_b": 200, "admin": 403},
        "/comptes": {"referent_a": 403, "referent_a2": 403, "coordinator_a": 403, "referent_b": 403, "coordinator_b": 403, "admin": 200},
        f"/dossiers/{case_id}": {"referent_a": 200, "referent_a2": 404, "coordinator_a": 200, "referent_b": 404, "coordinator_b": 404, "admin": 403},
        f"/dossiers/{case_id}/documents/{document_id}": {"referent_a": 200, "referent_a2": 404, "coordinator_a": 200, "referent_b": 404,
                                                         "coordinator_b": 404, "admin": 403},
        "/dossiers/NO-SUCH-CASE": {"referent_a": 404, "referent_a2": 404, "coordinator_a": 404, "referent_b": 404, "coordinator_b": 404, "admin": 403},
    }  # fmt: skip
    for path, by_role in expected.items():
        for role, status in by_role.items():
            response = await browsers[role].get(path)
            assert response.status_code == status, f"{role} GET {path}: {response.status_code}, expected {status}"
            if status != 200 and "/dossiers/" in path:
                assert case_id not in response.text.replace(path, "") and (person or "") not in response.text
    coordinator_b_log = await browsers["coordinator_b"].get("/journal-des-acces")
    assert case_id not in coordinator_b_log.text, "another structure's access log shows nothing of this case"


async def _first_document(web: Web, case_id: str) -> int:
    """The convention, once the documents worker has rendered it."""
    import asyncio

    for _ in range(300):
        with Session(web.registry) as session:
            found = session.scalars(select(Document.id).where(Document.case_id == case_id)).first()
        if found is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("no document rendered")


async def test_every_step_by_every_role_on_own_and_other_cases(cases: Cases, staff: Staff, web: Web, browsers: dict[str, Browser]) -> None:
    """Allowed (the form is read: 303, 409 or 422), 403 (the role or the person may not) or 404
    (not a case this person reaches), for every step the declarations name."""
    case_id = await _case_in_job_search(cases, staff)
    state = await cases.status(case_id)
    reaches = {"referent_a", "referent_a2", "coordinator_a"}  # the structure's staff see the case exists…
    follows = {"referent_a", "coordinator_a"}  # …but only its référent and coordinator open it
    for declaration in steps.STEPS:
        for role in ROLES:
            browser = browsers[role]
            await browser.get("/ma-journee" if role != "admin" else "/comptes")  # a fresh CSRF token for this browser
            response = await browser.post(f"/dossiers/{case_id}/etapes/{declaration.name}", {})
            member = accounts.account_by_email(web.registry, staff.emails[role])
            assert member is not None
            actor = actor_of(member)
            if role == "admin":
                wanted = {403}
            elif role not in follows:
                wanted = {404}
            elif decisions.actor_refusal(state, actor, declaration) is not None:  # type: ignore[arg-type]
                wanted = {403}
            else:
                wanted = {303, 409, 422}
            assert response.status_code in wanted, f"{role} {declaration.name}: {response.status_code}, expected {wanted}"
            if role in reaches - follows or role.endswith("_b"):
                assert case_id not in response.text
    assert (await cases.status(case_id)).phase is Phase.JOB_SEARCH


async def test_a_step_without_the_forms_csrf_token_is_refused_and_changes_nothing(cases: Cases, staff: Staff,
                                                                                   browsers: dict[str, Browser]) -> None:  # fmt: skip
    case_id = await _case_in_job_search(cases, staff)
    referent = browsers["referent_a"]
    await referent.get(f"/dossiers/{case_id}")
    for csrf in ("", "forged-token"):
        response = await referent.post(f"/dossiers/{case_id}/etapes/complete_review", {"held_on": "2026-11-30"}, csrf=csrf)
        assert response.status_code == 403 and "Formulaire expiré" in response.text
    assert (await cases.status(case_id)).review.held == 0


async def test_sign_in_throttled_after_repeated_failures(web: Web, staff: Staff) -> None:
    browser = Browser(web, address="10.2.0.1")
    wrong = await browser.sign_in(staff.emails["referent_b"], "not the password")
    unknown = await browser.sign_in("nobody@nowhere.fr", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Adresse ou mot de passe incorrect" in wrong.text and "Adresse ou mot de passe incorrect" in unknown.text
    for _ in range(accounts.ATTEMPTS_PER_NAME - 1):
        await browser.sign_in(staff.emails["referent_b"], "not the password")
    throttled = await browser.sign_in(staff.emails["referent_b"], PASSWORD)
    assert throttled.status_code == 429 and "Trop de tentatives" in throttled.text
    later = make_web(await web.client(), web.task_queue, web.registry,
                     now=lambda: datetime.now(timezone.utc) + accounts.SIGN_IN_WINDOW + timedelta(seconds=1))  # fmt: skip
    assert (await Browser(later, address="10.2.0.1").sign_in(staff.emails["referent_b"])).status_code == 303
    await browser.close()


async def test_the_sign_in_form_needs_its_own_token(web: Web, staff: Staff) -> None:
    browser = Browser(web, address="10.3.0.1")
    response = await browser.http.post("/connexion", data={"email": staff.emails["referent_a"], "password": PASSWORD, "csrf": "x"})
    assert response.status_code == 403 and "ea_session" not in response.headers.get("set-cookie", "")
    await browser.close()


async def test_a_planted_session_never_becomes_a_signed_in_one(web: Web, staff: Staff) -> None:
    browser = Browser(web, address="10.4.0.1")
    browser.use_session("planted-by-an-attacker")
    signed = await browser.sign_in(staff.emails["referent_a"])
    assert signed.status_code == 303
    token = browser.session
    assert token and token != "planted-by-an-attacker"
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    attacker = Browser(web, address="10.4.0.2")
    attacker.use_session("planted-by-an-attacker")
    assert (await attacker.get("/ma-journee")).status_code == 303
    await browser.close()
    await attacker.close()


async def test_sign_out_and_idle_timeout_end_the_session(web: Web, staff: Staff) -> None:
    browser = Browser(web, address="10.5.0.1")
    await browser.sign_in(staff.emails["coordinator_a"])
    token = browser.session
    assert (await browser.get("/ma-journee")).status_code == 200
    out = await browser.post("/deconnexion", {})
    assert out.status_code == 303
    replay = Browser(web, address="10.5.0.2")
    replay.use_session(token or "")
    assert (await replay.get("/ma-journee")).headers["location"].startswith("/connexion")

    idle = Browser(web, address="10.5.0.3")
    await idle.sign_in(staff.emails["coordinator_a"])
    later = make_web(await web.client(), web.task_queue, web.registry, now=lambda: datetime.now(timezone.utc) + timedelta(minutes=31))
    after_lunch = Browser(later, address="10.5.0.3")
    after_lunch.use_session(idle.session or "")
    assert (await after_lunch.get("/ma-journee")).status_code == 303
    for each in (browser, replay, idle, after_lunch):
        await each.close()


async def test_a_disabled_account_loses_its_sessions(web: Web, registry: Registry) -> None:
    staff = hire_staff(registry.engine)
    browser = Browser(web, address="10.6.0.1")
    await browser.sign_in(staff.emails["referent_b"])
    accounts.disable_account(registry.engine, staff.emails["referent_b"], datetime.now(timezone.utc))
    assert (await browser.get("/ma-journee")).status_code == 303
    assert (await browser.sign_in(staff.emails["referent_b"])).status_code == 401
    await browser.close()


async def test_security_headers_and_no_inline_script(browsers: dict[str, Browser]) -> None:
    response = await browsers["referent_a"].get("/ma-journee")
    policy = response.headers["content-security-policy"]
    assert "script-src 'none'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert response.headers["x-frame-options"] == "DENY" and response.headers["cache-control"] == "no-store"
    assert "<script" not in response.text


async def test_hostile_values_are_shown_escaped(cases: Cases, staff: Staff, web: Web, browsers: dict[str, Browser]) -> None:
    hostile = '<script>alert("x")</script>'
    employer = "emp-hostile"
    upsert(web.registry, EmployerEntry(id=employer, name=f"Entreprise {hostile}", siret=made_up_siret(employer)))
    upsert(web.registry, StructureEntry(id=staff.structure_a, name=f"Plateforme {hostile}"))
    coordinator = browsers["coordinator_a"]
    await coordinator.get("/dossiers/nouveau")
    opened = await coordinator.post("/dossiers/nouveau", {"first_name": hostile, "last_name": f"Nom {hostile}", "birth_date": "1990-05-17",
                                                          "situation": "rqth", "referent_id": staff.referent_a, "asked_by": "person"})  # fmt: skip
    assert opened.status_code == 303, opened.text
    case_path = opened.headers["location"].split("?")[0]
    assert hostile not in case_path
    for path in (case_path, "/annuaire", "/portefeuille", "/ma-journee"):
        text = (await coordinator.get(path)).text
        assert "<script" not in text, path
    assert "&lt;script&gt;" in (await coordinator.get(case_path)).text
    refused = await coordinator.post(case_path + "/etapes/record_contact", {"on": "2026-11-30", "kind": hostile})
    assert refused.status_code in (403, 409, 422) and "<script" not in refused.text


async def test_a_temporal_server_that_does_not_answer_gets_a_page_a_person_understands(cases: Cases, staff: Staff, web: Web) -> None:
    async def unreachable():  # type: ignore[no-untyped-def]
        raise ServerUnreachable("no Temporal server answers")

    down = make_web(await web.client(), web.task_queue, web.registry)
    down.connect = unreachable
    browser = Browser(down, address="10.7.0.1")
    await browser.sign_in(staff.emails["referent_a"])
    assert (await browser.get("/ma-journee")).status_code == 200, "what the registry holds still shows"
    page = await browser.get("/dossiers/ANY")
    assert page.status_code == 503 and "Le serveur des dossiers ne répond pas" in page.text and "Traceback" not in page.text
    await browser.close()


async def test_a_case_that_does_not_answer_in_time_gets_a_page_that_says_nothing_is_lost(cases: Cases, staff: Staff, web: Web) -> None:
    """No worker polls this task queue: the opening is accepted by Temporal, its answer never comes."""
    slow = make_web(await web.client(), "no-worker-polls-this-queue", web.registry, settings=WebSettings(step_wait=2))
    coordinator = Browser(slow, address="10.7.1.1")
    await coordinator.sign_in(staff.emails["coordinator_a"])
    await coordinator.get("/dossiers/nouveau")
    page = await coordinator.post("/dossiers/nouveau", {"first_name": "Lent", "last_name": "Serveur", "birth_date": "1990-01-01",
                                                        "situation": "rqth", "referent_id": staff.referent_a2, "asked_by": "person"})  # fmt: skip
    assert page.status_code == 504 and "Votre saisie n&#39;est pas perdue" in page.text and "Traceback" not in page.text
    await coordinator.close()
