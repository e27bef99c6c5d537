"""The person's and the employer's space (/espace) in a real browser: Playwright driving Debian's
Chromium against the application served by uvicorn (tests/browser_harness.py), the sign-in links
sent through a loopback SMTP server (aiosmtpd) and followed as the person would follow them.

An employer receives its link, signs in, sends a request, sees its acknowledgement and deadline,
then the référent's answer and its letter; the person consents and signs the convention, the employer signs it
too, and the case moves on once the structure has; a link reused, expired or opened in another
browser is refused; an employer reaches no other employer's case (404); and axe-core finds no
serious or critical violation on any page of the space. Screenshots (and axe's findings) are kept
in test-artifacts/browser/<test>/.

Every browser here reaches the server from 127.0.0.1, and a network address may ask for 10 links
per quarter of an hour (activities/registry/parties.py): the module asks for 7.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from activities.registry.directory import EmployerEntry, upsert
from activities.registry.schema import Beneficiary, Document
from starter.scripted import Cases, made_up_siret
from tests.browser_harness import Audit, errors_of, served, snap, tab
from tests.browser_harness import cases_module, chromium, shots, site  # noqa: F401 (fixtures, asked for by name)
from tests.notify_harness import Inbox
from tests.web_harness import make_web
from workflows.case.model import Party, Phase, RequestStatus, Situation, Step
from workflows.wording import french_date

_LINK = re.compile(r"https?://[^\s\"'<>]+/espace/lien/[A-Za-z0-9_-]+")
LATE = timedelta(minutes=16)
"""Past a link's 15 minutes."""
PARIS = ZoneInfo("Europe/Paris")


# --- The parties and their cases --------------------------------------------------------------


def _employer(cases: Cases, name: str) -> tuple[str, str]:
    """An employer of the directory with an e-mail address: (id, address)."""
    employer_id = f"emp-{name}-{uuid.uuid4().hex[:6]}"
    email = f"rh.{employer_id}@entreprise.fr"
    upsert(cases.registry, EmployerEntry(id=employer_id, name=f"Entreprise {employer_id}", siret=made_up_siret(employer_id), email=email))
    return employer_id, email


async def _persons_address(cases: Cases, case_id: str) -> str:
    """Give the case's person an e-mail address (the registry holds it): the address."""
    beneficiary_id = (await cases.status(case_id)).beneficiary_id
    email = f"personne.{case_id.lower()}@example.fr"
    with Session(cases.registry) as session, session.begin():
        session.execute(update(Beneficiary).where(Beneficiary.id == beneficiary_id).values(email=email))
    return email


@dataclass(frozen=True)
class Portal:
    """The module's parties and cases, made once (concurrently: a few seconds)."""

    employer: str
    employer_email: str
    employers_case: str
    """The employer's employee, convention signed (in evaluation): where it sends a request."""
    others_case: str
    """Another employer's employee: none of the first employer's business."""
    person_email: str
    signing_case: str
    """At consent, an employee whose employer (signing_employer_email) signs the convention with them."""
    signing_employer_email: str
    lone_email: str
    """An employer party to no case: whose links are refused."""
    audited_person_email: str
    audited_case: str
    """At consent, no employer: the person's pages the accessibility test looks at."""
    audited_employer_email: str
    audited_employers_case: str
    """In evaluation, a request answered and one open: the employer's pages the accessibility test looks at."""


async def _employee(cases: Cases, employer_id: str, to: Phase = Phase.CONSENT) -> str:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id=employer_id, referent_id="ref-portail")
    await cases.walk_to(case_id, to)
    return case_id


async def _with_requests(cases: Cases, employer_id: str) -> str:
    case_id = await _employee(cases, employer_id, Phase.EVALUATION)
    answered = await cases.request(case_id, employer_id, "mediation")
    await cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id=answered.request_id, outcome="meeting_scheduled")
    await cases.request(case_id, employer_id, "training_need")
    return case_id


@pytest.fixture(scope="module")
async def portal(cases_module: Cases) -> Portal:
    cases = cases_module
    (employer, employer_email), (other, _), (signing_employer, signing_employer_email) = (
        _employer(cases, "portail"), _employer(cases, "autre"), _employer(cases, "signataire"))  # fmt: skip
    (_, lone_email), (audited_employer, audited_employer_email) = _employer(cases, "seul"), _employer(cases, "audite")
    employers_case, others_case, signing_case, audited_case, audited_employers_case = await asyncio.gather(
        _employee(cases, employer, Phase.EVALUATION), _employee(cases, other), _employee(cases, signing_employer),
        cases.open(referent_id="ref-portail"), _with_requests(cases, audited_employer))  # fmt: skip
    person_email, audited_person_email = await _persons_address(cases, signing_case), await _persons_address(cases, audited_case)
    return Portal(employer, employer_email, employers_case, others_case, person_email, signing_case, signing_employer_email,
                  lone_email, audited_person_email, audited_case, audited_employer_email, audited_employers_case)  # fmt: skip


# --- Signing in by link -----------------------------------------------------------------------


async def ask_link(page: Page, site: str, inbox: Inbox, email: str, audit: Audit | None = None) -> str:
    """Ask /espace for a link as the party does, and read it in the message sent to them: its URL."""
    await page.goto(f"{site}/espace")
    if audit:
        await audit.check(page, "espace-demande")
    before = len(inbox.messages)
    await page.get_by_label("Votre adresse électronique").fill(email)
    await page.get_by_role("button", name="Recevoir mon lien").click()
    await expect(page.get_by_role("status")).to_contain_text("Si cette adresse est connue, un lien de connexion vient de vous être envoyé.")
    if audit:
        await audit.check(page, "espace-lien-envoye")
    for _ in range(50):  # the mailer sends before the page answers; a moment's grace all the same
        mine = [m for m in inbox.messages[before:] if email in str(m["To"])]
        if mine:
            break
        await asyncio.sleep(0.05)
    assert len(mine) == 1, f"one message to {email}, got {len(mine)}"
    body = "".join(part.get_content() for part in mine[0].walk() if part.get_content_type() == "text/plain")
    found = _LINK.search(body)
    assert found is not None, body
    assert found.group(0).startswith(f"{site}/espace/lien/"), "the link points at the address the browser asked"
    return found.group(0)


async def follow(page: Page, link: str, audit: Audit | None = None) -> None:
    """Open the link's page and press its button (opening the page alone signs nobody in)."""
    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Me connecter")
    await expect(page.get_by_role("button", name="Me déconnecter")).to_have_count(0)
    if audit:
        await audit.check(page, "espace-lien")
    await page.get_by_role("button", name="Ouvrir mon espace").click()


async def signed_in(page: Page, site: str, inbox: Inbox, email: str, audit: Audit | None = None) -> None:
    await follow(page, await ask_link(page, site, inbox, email, audit), audit)
    await expect(page.get_by_role("button", name="Me déconnecter")).to_be_visible()


async def refused(page: Page) -> None:
    await expect(page.get_by_role("alert")).to_contain_text("Ce lien ne marche plus")
    await expect(page.get_by_role("button", name="Me déconnecter")).to_have_count(0)


async def _reload_until(page: Page, url: str, locator: object, tries: int = 100) -> None:
    """Reload until `locator` is on the page: what a worker writes a moment after a step."""
    for _ in range(tries):
        await page.goto(url)
        if await locator.count():  # type: ignore[attr-defined]
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{locator} never appeared on {url}")


def _document(cases: Cases, case_id: str, template: str) -> Document | None:
    with Session(cases.registry) as session:
        return session.scalars(select(Document).where(Document.case_id == case_id, Document.template == template)).first()


async def _written(cases: Cases, case_id: str, template: str) -> Document:
    """The case's document made from `template`, once the documents worker has made it."""
    for _ in range(300):
        if (found := _document(cases, case_id, template)) is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {template} for {case_id}")


# --- The employer ---------------------------------------------------------------------------------


async def test_an_employer_signs_in_by_link_sends_a_request_and_later_reads_the_answer(
    cases_module: Cases, portal: Portal, site: str, chromium: Browser, inbox: Inbox, shots: Path
) -> None:
    cases, case_id = cases_module, portal.employers_case
    async with tab(chromium) as page:
        failed = errors_of(page)
        link = await ask_link(page, site, inbox, portal.employer_email)
        await snap(page, shots, "01-lien-envoye")
        await follow(page, link)
        await expect(page).to_have_url(f"{site}/espace/accueil")
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Bonjour Entreprise {portal.employer}")
        mine = page.get_by_role("main").get_by_role("link")
        await expect(mine).to_have_count(1)  # its employee's case, and only that one
        await expect(mine).to_have_attribute("href", f"/espace/dossiers/{case_id}")
        await snap(page, shots, "02-accueil")

        await mine.click()
        await expect(page).to_have_url(f"{site}/espace/dossiers/{case_id}")
        await expect(page.get_by_text("Étape : Évaluation.")).to_be_visible()
        await expect(page.get_by_role("region", name="Mes demandes")).to_contain_text("Aucune demande.")
        await page.get_by_label("Ma demande").select_option(label="Adaptation du poste")
        await snap(page, shots, "03-demande")
        await page.get_by_role("button", name="Envoyer ma demande").click()

        await expect(page.get_by_role("status")).to_have_text("✔ Votre demande est envoyée. Le référent vous répond avant la date indiquée.")
        request = (await cases.status(case_id)).requests[-1]
        assert request.employer_id == portal.employer and request.origin == "employer" and request.status is RequestStatus.OPEN
        asked = page.get_by_role("region", name="Mes demandes").get_by_role("listitem")
        await expect(asked).to_have_count(1)
        await expect(asked).to_contain_text(f"Adaptation du poste ({request.request_id}) : réponse attendue avant le ")
        due = request.deadline.astimezone(PARIS)  # five days on (the case's settings), in the platforms' time
        await expect(asked).to_contain_text(f"réponse attendue avant le {french_date(due.date())} à {due.hour} h {due.minute:02d}.")
        await snap(page, shots, "04-accuse-de-reception")

        # Later, the référent answers from the staff application (here, as it would, by the same step).
        await cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id=request.request_id, outcome="meeting_scheduled")
        await page.reload()
        await expect(asked).to_have_count(1)
        await expect(asked).to_contain_text(f"Adaptation du poste ({request.request_id}) : répondue le ")
        await expect(asked).to_contain_text("Rendez-vous fixé")
        await _written(cases, case_id, "request_response")  # the answer's letter, once the documents worker has written it
        await page.reload()
        letter = page.get_by_role("region", name="Documents").get_by_role("link", name=re.compile("^Réponse à votre demande"))
        await expect(letter).to_have_count(1)
        await snap(page, shots, "05-reponse")
        async with page.expect_download() as downloading:
            await letter.click()
        assert Path(await (await downloading.value).path()).read_bytes().startswith(b"%PDF")

        # Another employer's case, by its id: as if it did not exist.
        other = await page.goto(f"{site}/espace/dossiers/{portal.others_case}")
        assert other is not None and other.status == 404
        await expect(page.get_by_role("heading", level=1)).to_have_text("Introuvable")
        shown = await page.get_by_role("main").inner_text()
        await snap(page, shots, "06-introuvable")
        nowhere = await page.goto(f"{site}/espace/dossiers/NO-SUCH-CASE")
        assert nowhere is not None and nowhere.status == 404
        assert await page.get_by_role("main").inner_text() == shown, "the same page as for a case that does not exist"
        staff_side = await page.goto(f"{site}/dossiers/{case_id}")
        await expect(page).to_have_url(re.compile(r"/connexion\?suite="))  # the staff application is not theirs
        assert staff_side is not None and staff_side.ok

        await page.goto(f"{site}/espace/accueil")
        await page.get_by_role("button", name="Me déconnecter").click()
        await expect(page).to_have_url(f"{site}/espace")
        await page.goto(f"{site}/espace/dossiers/{case_id}")
        await expect(page).to_have_url(f"{site}/espace")
        assert [e for e in failed if "/espace/dossiers/" not in e] == [], f"the browser met errors: {failed}"


# --- The person, and the convention's signatures ----------------------------------------------


async def test_the_person_consents_and_signs_and_the_case_moves_on_once_every_party_has(
    cases_module: Cases, portal: Portal, site: str, chromium: Browser, inbox: Inbox, shots: Path
) -> None:
    cases, case_id = cases_module, portal.signing_case
    url = f"{site}/espace/dossiers/{case_id}"
    async with tab(chromium) as person, tab(chromium) as employer:
        failed = errors_of(person)
        await signed_in(person, site, inbox, portal.person_email)
        await expect(person).to_have_url(url)  # one case: straight to it
        await expect(person.get_by_role("heading", level=1)).to_have_text("Mon accompagnement")
        await expect(person.get_by_text("Rien ne se fait sans votre accord.")).to_be_visible()
        await snap(person, shots, "01-accord")
        await person.get_by_role("button", name="Oui, je suis d'accord pour être accompagné(e)").click()
        await expect(person.get_by_role("status")).to_have_text("✔ Merci. Votre accord est enregistré.")
        await expect(person.get_by_text("Étape : Prescription.")).to_be_visible()
        assert (await cases.status(case_id)).consent_given_on is not None

        await cases.step(case_id, Step.RECORD_PRESCRIPTION, prescription={"route": "cdaph", "decision_reference": "D-PORTAIL",
                                                                           "decision_date": datetime.now(timezone.utc).date()})  # fmt: skip
        to_sign = person.get_by_role("region", name="À signer")
        await _reload_until(person, url, to_sign)  # the convention's text, once the documents worker has written it
        convention = _document(cases, case_id, "convention")
        assert convention is not None
        await expect(to_sign.get_by_role("heading", level=3)).to_have_text("Convention individuelle d'accompagnement")
        await expect(to_sign.locator("code")).to_have_text(convention.content_hash)  # what is signed, shown before signing
        await expect(to_sign).to_contain_text(f"Version {convention.template_version}.")
        await snap(person, shots, "02-a-signer")
        await to_sign.get_by_role("button", name="Je signe ce texte").click()
        await expect(person.get_by_role("status")).to_have_text("✔ Votre signature est enregistrée.")
        await expect(to_sign).to_have_count(0)
        await expect(person.get_by_text("Étape : Convention à signer.")).to_be_visible()  # the others have not signed yet
        await snap(person, shots, "03-signee")
        state = await cases.status(case_id)
        assert state.phase is Phase.CONVENTION and set(state.signatures) == {Party.BENEFICIARY}
        assert str(state.signed_by[Party.BENEFICIARY]) == f"beneficiary:{state.beneficiary_id}", "signed by the person, as themselves"

        await signed_in(employer, site, inbox, portal.signing_employer_email)
        await employer.get_by_role("main").get_by_role("link", name=re.compile("Camille Martin")).click()
        await expect(employer).to_have_url(url)
        theirs = employer.get_by_role("region", name="À signer")
        await expect(theirs.locator("code")).to_have_text(convention.content_hash)
        await theirs.get_by_role("button", name="Je signe ce texte").click()
        await expect(employer.get_by_role("status")).to_have_text("✔ Votre signature est enregistrée.")
        await snap(employer, shots, "04-employeur-signe")
        assert set((await cases.status(case_id)).signatures) == {Party.BENEFICIARY, Party.EMPLOYER}

        # The structure signs last, from the staff application: every party has, the case moves on.
        await cases.step(case_id, Step.SIGN_CONVENTION, party=Party.STRUCTURE, signed_on=datetime.now(timezone.utc).date())
        await person.reload()
        await expect(person.get_by_text("Étape : Évaluation.")).to_be_visible()
        signed = person.get_by_role("region", name="Mes documents").get_by_role("link", name=re.compile("signée"))
        await _reload_until(person, url, signed)  # the signed text, made once when the last party signed
        await snap(person, shots, "05-evaluation")
        assert (await cases.status(case_id)).phase is Phase.EVALUATION
        kept = _document(cases, case_id, "convention_signed")
        assert kept is not None and convention.content_hash in kept.markdown and "signature électronique" in kept.markdown
        assert failed == [], f"the browser met errors: {failed}"


# --- Links that must not open anything ----------------------------------------------------------


async def test_a_link_reused_expired_or_opened_in_another_browser_is_refused(
    cases_module: Cases, portal: Portal, site: str, chromium: Browser, inbox: Inbox, shots: Path
) -> None:
    async with tab(chromium) as asker, tab(chromium) as elsewhere:
        link = await ask_link(asker, site, inbox, portal.lone_email)

        await follow(elsewhere, link)  # forwarded, or read on another device: not the browser that asked
        await refused(elsewhere)
        await expect(elsewhere.get_by_role("alert")).to_contain_text("un autre navigateur")
        await snap(elsewhere, shots, "01-autre-navigateur")
        await elsewhere.goto(f"{site}/espace/accueil")
        await expect(elsewhere).to_have_url(f"{site}/espace")

        await follow(asker, link)  # the browser that asked still may, once
        await expect(asker).to_have_url(f"{site}/espace/accueil")
        await expect(asker.get_by_text("Aucun accompagnement en cours ne vous concerne.")).to_be_visible()
        await follow(asker, link)
        await refused(asker)
        await snap(asker, shots, "02-deja-servi")

        # The same browser, a fresh link, opened 16 minutes later: a second server whose clock is ahead
        # (the browser's cookies are the host's, whatever the port).
        late_link = await ask_link(asker, site, inbox, portal.lone_email)
        cases = cases_module
        async with served(make_web(cases.client, cases.task_queue, cases.registry,
                                   now=lambda: datetime.now(timezone.utc) + LATE)) as late:  # fmt: skip
            await follow(asker, late_link.replace(site, late))
            await refused(asker)
            await snap(asker, shots, "03-expire")
        await follow(asker, late_link)  # now, the same link opens: only the time had refused it
        await expect(asker).to_have_url(f"{site}/espace/accueil")


# --- Accessibility ----------------------------------------------------------------------------


async def test_every_page_of_the_space_has_no_serious_accessibility_violation(
    cases_module: Cases, portal: Portal, site: str, chromium: Browser, inbox: Inbox, shots: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases, case_id = cases_module, portal.audited_case
    url = f"{site}/espace/dossiers/{case_id}"
    audit = Audit(shots)

    async with tab(chromium) as page:
        await page.goto(f"{site}/espace/lien/not-a-link")
        await page.get_by_role("button", name="Ouvrir mon espace").click()
        await refused(page)
        await audit.check(page, "espace-lien-refuse")

    async with tab(chromium) as page:
        await signed_in(page, site, inbox, portal.audited_person_email, audit)
        await expect(page).to_have_url(url)
        await audit.check(page, "personne-accord")
        await page.get_by_role("button", name="Oui, je suis d'accord pour être accompagné(e)").click()
        await expect(page.get_by_role("status")).to_be_visible()
        await audit.check(page, "personne-accord-donne")

        await cases.step(case_id, Step.RECORD_PRESCRIPTION, prescription={"route": "cdaph", "decision_reference": "D-AXE",
                                                                           "decision_date": datetime.now(timezone.utc).date()})  # fmt: skip
        to_sign = page.get_by_role("region", name="À signer")
        await _reload_until(page, url, to_sign)
        await audit.check(page, "personne-a-signer")
        await to_sign.get_by_role("button", name="Je signe ce texte").click()
        await expect(page.get_by_role("status")).to_have_text("✔ Votre signature est enregistrée.")
        await audit.check(page, "personne-signee")
        await page.get_by_role("button", name="Retirer mon accord").click()  # the box to confirm left unticked
        await expect(page.get_by_role("alert")).to_have_text("Cochez la case pour confirmer.")
        await audit.check(page, "personne-erreur")

    async with tab(chromium) as page:
        await signed_in(page, site, inbox, portal.audited_employer_email)
        await audit.check(page, "employeur-accueil")
        await page.goto(f"{site}/espace/dossiers/{portal.audited_employers_case}")
        await expect(page.get_by_role("region", name="Mes demandes").get_by_role("listitem")).to_have_count(2)
        await audit.check(page, "employeur-dossier")
        await page.goto(f"{site}/espace/dossiers/{portal.others_case}")
        await audit.check(page, "employeur-introuvable")

    with capsys.disabled():
        print(f"\n  axe-core on {len(audit.pages)} pages; moderate or minor: {audit.report_minor() or 'none'}")
    assert not audit.found, f"serious or critical accessibility violations (axe-core):\n{audit.report()}"
