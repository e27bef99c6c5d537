"""The person's and the employer's own space over HTTP: a sign-in link by e-mail (loopback SMTP),
consent, a request, the electronic signature of the convention and of an amendment, and every
way a link or a case id must be refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


from activities.documents.rendering import Documents
from activities.registry.directory import EmployerEntry, upsert
from activities.registry.journal import Registry
from starter.scripted import Cases, made_up_siret
from tests.notify_harness import Inbox
from tests.web_harness import Browser, document_of, link_for, make_web, set_email, signed_in_by_link
from web.state import Web
from workflows.case.model import Party, Phase, Step

async def test_the_person_consents_and_signs_the_convention_from_their_space(cases: Cases, web: Web, inbox: Inbox) -> None:
    case_id = await cases.open(referent_id="ref-portal")
    state = await cases.status(case_id)
    email = f"personne.{case_id.lower()}@example.fr"
    set_email(web, state.beneficiary_id or "", email)

    person = Browser(web, address="10.30.0.1")
    await signed_in_by_link(person, inbox, email)
    home = await person.get("/espace/accueil")
    assert home.status_code == 303 and home.headers["location"] == f"/espace/dossiers/{case_id}", "one case: straight to it"
    page = await person.get(f"/espace/dossiers/{case_id}")
    assert "Rien ne se fait sans votre accord." in page.text
    assert (await person.post(f"/espace/dossiers/{case_id}/consentement", {})).status_code == 303
    assert (await cases.status(case_id)).phase is Phase.PRESCRIPTION

    await cases.step(case_id, Step.RECORD_PRESCRIPTION, prescription={"route": "cdaph", "decision_reference": "D-1",
                                                                       "decision_date": datetime.now(timezone.utc).date()})  # fmt: skip
    convention = await document_of(web, case_id, "convention")
    page = await person.get(f"/espace/dossiers/{case_id}")
    assert convention.content_hash in page.text and "Je signe ce texte" in page.text
    changed = await person.post(f"/espace/dossiers/{case_id}/signature", {"document": "convention", "content_hash": "0" * 64})
    assert changed.status_code == 409 and "Le document a changé" in changed.text
    await person.get(f"/espace/dossiers/{case_id}")
    signed = await person.post(f"/espace/dossiers/{case_id}/signature", {"document": "convention", "content_hash": convention.content_hash})
    assert signed.status_code == 303, signed.text
    state = await cases.status(case_id)
    assert Party.BENEFICIARY in state.signatures and str(state.signed_by[Party.BENEFICIARY]) == f"beneficiary:{state.beneficiary_id}"

    await cases.step(case_id, Step.SIGN_CONVENTION, party=Party.STRUCTURE, signed_on=datetime.now(timezone.utc).date())
    assert (await cases.status(case_id)).phase is Phase.EVALUATION, "the case moves on when all parties have signed"
    kept = await document_of(web, case_id, "convention_signed")
    assert Documents(web.registry).printed(kept).startswith(b"%PDF")
    assert convention.content_hash in kept.markdown and "signature électronique" in kept.markdown
    assert "signature sur papier" in kept.markdown, "the structure signed on paper"

    assert (await person.post(f"/espace/dossiers/{case_id}/retrait", {})).status_code == 422, "withdrawing asks for a confirmation"
    await person.get(f"/espace/dossiers/{case_id}")
    assert (await person.post(f"/espace/dossiers/{case_id}/demande", {"kind": "difficulty_alert"})).status_code == 303
    assert (await cases.status(case_id)).open_requests == 1
    await person.close()


async def test_an_employer_signs_its_amendment_and_sends_a_request_but_reaches_no_other_case(cases: Cases, web: Web, inbox: Inbox,
                                                                                            registry: Registry) -> None:  # fmt: skip
    case_id = await cases.open(referent_id="ref-portal")
    await cases.walk_to(case_id, Phase.JOB_SEARCH)
    employer_id, email = f"emp-{case_id.lower()}", f"rh.{case_id.lower()}@entreprise.fr"
    upsert(web.registry, EmployerEntry(id=employer_id, name="Entreprise du portail", siret=made_up_siret(employer_id), email=email))
    await cases.hire(case_id, employer_id)
    second = await cases.open(referent_id="ref-portal")
    await cases.walk_to(second, Phase.JOB_SEARCH)
    await cases.hire(second, employer_id)
    other = await cases.open(referent_id="ref-portal")

    employer = Browser(web, address="10.31.0.1")
    await signed_in_by_link(employer, inbox, email)
    home = await employer.get("/espace/accueil")
    assert case_id in home.text and second in home.text, "an employer of two people sees two"
    assert other not in home.text
    assert (await employer.get(f"/espace/dossiers/{other}")).status_code == 404
    assert (await employer.get("/espace/dossiers/NO-SUCH")).status_code == 404
    assert (await employer.get(f"/dossiers/{case_id}")).status_code == 303, "the staff application is not theirs"

    amendment = await document_of(web, case_id, "amendment")
    page = await employer.get(f"/espace/dossiers/{case_id}")
    assert amendment.content_hash in page.text
    signed = await employer.post(f"/espace/dossiers/{case_id}/signature-avenant",
                                 {"document": "amendment-1", "content_hash": amendment.content_hash, "number": "1"})  # fmt: skip
    assert signed.status_code == 303, signed.text
    assert Party.EMPLOYER in (await cases.status(case_id)).amendments[0].signatures

    forged = await employer.post(f"/espace/dossiers/{case_id}/demande", {"kind": "mediation"}, csrf="forged")
    assert forged.status_code == 403 and "Formulaire expiré" in forged.text
    await employer.get(f"/espace/dossiers/{case_id}")
    sent = await employer.post(f"/espace/dossiers/{case_id}/demande", {"kind": "workstation_adaptation"})
    assert sent.status_code == 303
    page = await employer.get(sent.headers["location"])
    assert "réponse attendue avant le" in page.text
    request = (await cases.status(case_id)).requests[-1]
    assert request.employer_id == employer_id and request.origin == "employer"
    await employer.close()


async def test_a_link_reused_expired_or_opened_elsewhere_is_refused(cases: Cases, web: Web, inbox: Inbox) -> None:
    case_id = await cases.open(referent_id="ref-portal")
    email = f"lien.{case_id.lower()}@example.fr"
    set_email(web, (await cases.status(case_id)).beneficiary_id or "", email)

    asker = Browser(web, address="10.32.0.1")
    token = await link_for(asker, inbox, email)
    elsewhere = Browser(web, address="10.32.0.2")
    await elsewhere.get("/espace")
    refused = await elsewhere.post("/espace/lien", {"token": token})
    assert refused.status_code == 403 and "un autre navigateur" in refused.text and not elsewhere.session
    assert (await asker.post("/espace/lien", {"token": token})).status_code == 303, "the right browser still may"
    reused = Browser(web, address="10.32.0.1")
    reused.http.cookies = asker.http.cookies
    assert (await reused.post("/espace/lien", {"token": token})).status_code == 403

    late = Browser(make_web(await web.client(), web.task_queue, web.registry,
                            now=lambda: datetime.now(timezone.utc) + timedelta(minutes=16)), address="10.32.0.3")  # fmt: skip
    late_token = await link_for(asker, inbox, email)
    late.http.cookies = asker.http.cookies
    assert (await late.post("/espace/lien", {"token": late_token})).status_code == 403

    unknown = await Browser(web, address="10.32.0.4").get("/espace")
    assert unknown.status_code == 200
    flood, sent = Browser(web, address="10.32.0.5"), len(inbox.messages)
    for _ in range(3):
        await flood.get("/espace")
        assert (await flood.post("/espace", {"email": "personne.inconnue@example.fr"})).status_code == 200, "unknown: same answer"
    await flood.get("/espace")
    assert (await flood.post("/espace", {"email": "personne.inconnue@example.fr"})).status_code == 429
    assert len(inbox.messages) == sent, "nothing is sent to an address the registry does not know"
