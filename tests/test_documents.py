"""Documents: every template from a real journey, in correct French, escaped, strict, stored once,
and the convention as a PDF that really renders (pypdfium2)."""

from __future__ import annotations

import asyncio
import html
from datetime import date, datetime, timedelta, timezone

import pypdfium2 as pdfium
import pytest
from jinja2 import UndefinedError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.documents.rendering import DocumentDataMissing, Documents, Renderer
from activities.registry.people import BeneficiaryIdentity, ProtectiveMeasure, RepresentativeIdentity, register_beneficiary, register_representative
from activities.registry.journal import Registry
from activities.registry.schema import Document
from starter.cases import apply_step
from starter.scripted import COORDINATOR, TODAY, Cases, cdaph, new_case_id
from tests.builders import eventually
from workflows.case import decisions, rules, steps
from workflows.case.events import DocumentRequest, Hired
from workflows.case.model import Actor, ActorRole, AlertKind, CaseFacts, CaseSnapshot, Party, AssignReferent, CaseState, ContractType, Intensity, OpenCase, Phase, RecordHiring, RequestAcknowledgement, RequestKind, RequestSupport, ResponseOutcome, Situation, Step
from worker import case_worker, documents_worker
from workflows.wording import french_date, french_duration

TODAY_FR = french_date(TODAY)


def flat(text: str) -> str:
    """As a reader sees it: entities decoded, whitespace folded (Markdown wraps its lines)."""
    return " ".join(html.unescape(text).split())


async def documented_journey(cases: Cases, registry: Registry, last_name: str = "Lefèvre-Ozanne") -> tuple[str, dict[str, Document]]:
    person = BeneficiaryIdentity(structure_id="struct-75", first_name="Anaïs", last_name=last_name,
                                 birth_date=date(1993, 2, 1), address="8 rue Pasteur, 75011 Paris")  # fmt: skip
    beneficiary_id = register_beneficiary(registry.engine, person)
    case_id = await cases.open(Situation.RQTH, beneficiary_id=beneficiary_id)
    await cases.walk_to(case_id, Phase.JOB_SEARCH, cdaph())
    await cases.hire(case_id, employer_id="emp-docs")
    ack = await cases.request(case_id, "emp-docs", kind="workstation_adaptation")
    await cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id=ack.request_id, outcome=ResponseOutcome.MEETING_SCHEDULED)
    await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)
    await cases.step(case_id, Step.CLOSE, reason="goals_reached")
    await cases.final_state(case_id)
    return case_id, {d.template: d for d in Documents(registry.engine).list(case_id)}


@pytest.fixture(scope="module")
async def journey(cases_module: Cases, registry: Registry) -> tuple[str, dict[str, Document]]:
    return await documented_journey(cases_module, registry)


@pytest.fixture(scope="module")
def cases_module(client, task_queue, registry) -> Cases:  # type: ignore[no-untyped-def]
    return Cases(client, task_queue, registry.engine)


async def test_a_journey_writes_each_document_once(journey: tuple[str, dict[str, Document]]) -> None:
    _, documents = journey
    assert set(documents) == {"convention", "convention_signed", "evaluation_report", "project", "amendment", "request_response",
                              "review_report", "closure_letter"}  # fmt: skip
    for document in documents.values():
        assert len(document.content_hash) == 64 and len(document.template_version) == 12
        assert "\ufffd" not in document.html and "Anaïs" in document.html and "Anaïs" in document.markdown


async def test_the_convention_names_the_parties_the_cadence_and_the_rules(journey) -> None:  # type: ignore[no-untyped-def]
    _, documents = journey
    convention = documents["convention"]
    assert convention.title == "Convention individuelle d'accompagnement"
    for text in (flat(convention.html), flat(convention.markdown)):
        assert "Anaïs Lefèvre-Ozanne, né(e) le 1er février 1993" in text
        assert "Plateforme emploi accompagné struct-75" in text
        assert "l'employeur rejoindra la présente convention par avenant lors de l'embauche" in text
        assert f"décision de la Commission des droits et de l'autonomie des personnes handicapées (CDAPH) n° CDAPH-2026-00042 du {TODAY_FR}" in text
        assert "Référent ref-1" in text and "ref-1@example.fr" in text
        assert "dans un délai de 5 jours" in text
        assert "gratuit pour la personne et pour l'employeur" in text and "sans limite de durée" in text
        assert "Le référent propose des solutions ; l'employeur décide" in text
        assert "Assister la personne dans sa recherche d'emploi" in text
        assert text.count("Fait à") == 2, "two parties sign: no employer yet"
    assert "<h2>Signatures</h2>" in convention.html and "@media print" in convention.html


async def test_the_convention_promises_the_cadence_the_case_runs(cases: Cases, registry: Registry) -> None:
    """Every case starts intensive: the convention prints that cadence first, then the light one,
    from the very values the case's timers run with."""
    case_id = await cases.open(Situation.RQTH)
    state = await cases.walk_to(case_id, Phase.JOB_SEARCH)
    promised = rules.follow_up(state.settings)
    assert state.intensity is Intensity.INTENSIVE
    assert state.review.next_due is not None and state.review.next_due - state.phase_since == promised["job_search"]["intensive"]

    async def convention() -> Document | None:
        return next((d for d in Documents(registry.engine).list(case_id) if d.template == "convention"), None)

    text = flat((await eventually(convention)).markdown)
    for phase, during in (("job_search", "pendant la recherche d'emploi"), ("in_job_support", "pendant l'accompagnement dans l'emploi")):
        intensive, light = (french_duration(promised[phase][level]) for level in ("intensive", "light"))
        assert f"tous les {intensive} {during} tant" in text and f"puis tous les {light} lorsqu'il est allégé" in text
    assert promised["job_search"]["intensive"] != promised["job_search"]["light"], "the test would not tell them apart"
    assert f"dans un délai de {french_duration(state.settings.request_response_within)}" in text
    ack = await apply_step(cases.client, case_id, RequestSupport(kind=RequestKind.TRAINING_NEED, actor=await cases.person(case_id)))
    asked = (await cases.status(case_id)).request(ack.request_id)
    assert asked is not None and asked.deadline - asked.received_at == state.settings.request_response_within

    await cases.step(case_id, Step.SET_REVIEW_CADENCE, job_search_review_every=timedelta(days=21), level=Intensity.INTENSIVE)

    async def amendment() -> Document | None:
        return next((d for d in Documents(registry.engine).list(case_id) if d.template == "amendment"), None)

    written = flat((await eventually(amendment)).markdown)
    assert "Avenant n° 1" in written and "tant que l'accompagnement est intensif" in written
    assert f"un point de suivi tous les 21 jours (au lieu de tous les {french_duration(promised['job_search']['intensive'])})" in written


async def test_reports_and_letters_say_what_happened(journey) -> None:  # type: ignore[no-untyped-def]
    _, documents = journey
    amendment = flat(documents["amendment"].markdown)
    assert "Avenant n° 1" in amendment and "Entreprise emp-docs" in amendment and "contrat à durée indéterminée" in amendment
    assert f"À compter du {TODAY_FR}" in amendment and "24 heures" in amendment
    assert "Évaluation achevée le** : " + TODAY_FR in flat(documents["evaluation_report"].markdown)
    assert "La recherche d'emploi commence" in flat(documents["project"].markdown)
    review = flat(documents["review_report"].markdown)
    assert f"Point de suivi tenu le** : {TODAY_FR}" in review and "Aucune demande en attente" in review
    response = flat(documents["request_response"].markdown)
    assert "Votre demande d'adaptation du poste de travail, concernant l'accompagnement d'Anaïs" in response
    assert "un rendez-vous est fixé avec le référent" in response
    letter = flat(documents["closure_letter"].markdown)
    assert "en raison de l'atteinte des objectifs fixés dans la convention" in letter and "mobilisable à tout moment" in letter
    assert "8 rue Pasteur, 75011 Paris" in letter


async def test_a_hostile_value_is_escaped_in_html_and_markdown(cases: Cases, registry: Registry) -> None:
    _, documents = await documented_journey(cases, registry, last_name="<script>alert('x')</script>")
    for document in documents.values():
        assert "<script>" not in document.html and "<script>" not in document.markdown, document.template
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in documents["convention"].html
    assert r"\<script\>alert('x')\</script\>" in documents["convention"].markdown


def test_a_missing_field_fails_loudly() -> None:
    with pytest.raises(UndefinedError, match="beneficiary"):
        Renderer().render("closure_letter", {"case": {"case_id": "C1"}, "structure": {"name": "S"}, "today": TODAY})


async def test_a_referent_missing_from_the_directory_becomes_an_alert(cases: Cases, registry: Registry) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.CONVENTION)
    # Straight through the client: the builder would have put this référent in the directory.
    await apply_step(cases.client, case_id, AssignReferent(referent_id="ref-unknown-9", actor=COORDINATOR))
    state = await cases.step(case_id, Step.CLOSE, reason="other")
    assert state.phase is Phase.CLOSED, "closing never waits on paperwork"

    final = await cases.final_state(case_id)
    assert [a.template for a in final.alerts if a.kind is AlertKind.DOCUMENT_FAILED] == ["closure_letter"]
    failed = [e for e in registry.journal(case_id) if e.kind == "document_failed"]
    assert failed[0].event.reason.startswith("référent ref-unknown-9 is not in the registry (ea assign, then ea directory referent")


async def test_the_answer_to_the_persons_own_request_is_a_letter_to_the_person(cases: Cases, registry: Registry) -> None:
    """What the person chose to raise is answered to them, never to the employer; with no employer
    at all the letter is still written."""
    for employer_id in (None, "emp-not-told"):
        case_id = await cases.open(Situation.EMPLOYEE if employer_id else Situation.RQTH, employer_id=employer_id)
        await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT if employer_id else Phase.JOB_SEARCH)
        ack = await apply_step(cases.client, case_id, RequestSupport(kind=RequestKind.DIFFICULTY_ALERT, actor=await cases.person(case_id)))
        assert isinstance(ack, RequestAcknowledgement)
        await cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id=ack.request_id, outcome=ResponseOutcome.MEETING_SCHEDULED)
        await cases.step(case_id, Step.CLOSE, reason="goals_reached")
        final = await cases.final_state(case_id)
        assert not [a for a in final.alerts if a.kind is AlertKind.DOCUMENT_FAILED]
        letter = flat(next(d for d in Documents(registry.engine).list(case_id) if d.template == "request_response").markdown)
        assert "Camille Martin" in letter.split("## Accusé de réception")[0], "addressed to the person"
        assert "À l'attention de" not in letter
        assert "votre employeur n'en est informé qu'avec votre accord" in letter and "l'employeur décide" not in letter


async def test_a_failed_answer_letter_names_its_request(cases: Cases, registry: Registry) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-letter")
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    ack = await cases.request(case_id, "emp-letter")
    await apply_step(cases.client, case_id, AssignReferent(referent_id="ref-unknown-10", actor=COORDINATOR))
    await cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id=ack.request_id, outcome=ResponseOutcome.MEETING_SCHEDULED)
    await cases.step(case_id, Step.CLOSE, reason="other")
    final = await cases.final_state(case_id)
    failed = [a for a in final.alerts if a.kind is AlertKind.DOCUMENT_FAILED and a.template == "request_response"]
    assert [a.request_id for a in failed] == [ack.request_id]


async def test_consent_and_signature_by_a_legal_representative_are_named_in_every_document(cases: Cases, registry: Registry) -> None:
    person = BeneficiaryIdentity(structure_id="struct-75", first_name="Paul", last_name="Sous-Curatelle", birth_date=date(1980, 3, 3))
    beneficiary_id = register_beneficiary(registry.engine, person)
    representative = RepresentativeIdentity(id=f"rep-{new_case_id()}", beneficiary_id=beneficiary_id, first_name="Jeanne",
                                            last_name="Morel", measure=ProtectiveMeasure.CURATELLE_RENFORCEE)  # fmt: skip
    register_representative(registry.engine, representative)
    acting = Actor(role=ActorRole.LEGAL_REPRESENTATIVE, id=representative.id)
    case_id = await cases.open(Situation.RQTH, beneficiary_id=beneficiary_id)
    await cases.step(case_id, Step.NAME_REPRESENTATIVE, representative_id=representative.id)
    await cases.step(case_id, Step.GIVE_CONSENT, given_on=TODAY, actor=acting)
    await cases.step(case_id, Step.RECORD_PRESCRIPTION, prescription=cdaph())
    await cases.step(case_id, Step.SIGN_CONVENTION, party=Party.BENEFICIARY, signed_on=TODAY, actor=acting)
    await cases.walk_to(case_id, Phase.JOB_SEARCH)
    await cases.step(case_id, Step.CLOSE, reason="goals_reached")
    await cases.final_state(case_id)

    texts = {d.template: flat(d.markdown) for d in Documents(registry.engine).list(case_id)}
    named = "son représentant légal, Jeanne Morel (curatelle renforcée)"
    assert set(texts) == {"convention", "convention_signed", "evaluation_report", "project", "closure_letter"}
    for template, text in texts.items():
        assert f"Consentement donné le {TODAY_FR} par {named}." in text, template
    assert "Paul Sous-Curatelle, représenté(e) par Jeanne Morel (curatelle renforcée)" in texts["convention"], "the signature block"
    assert f"Convention signée pour la personne accompagnée le {TODAY_FR} par {named}." in texts["evaluation_report"]
    assert f"Convention signée pour la structure gestionnaire le {TODAY_FR}." in texts["evaluation_report"]


async def test_rendering_twice_for_the_same_event_stores_it_once(journey, registry: Registry, cases_module: Cases) -> None:  # type: ignore[no-untyped-def]
    case_id, documents = journey
    convention = documents["convention"]
    entry = next(e for e in registry.journal(case_id) if e.seq == convention.seq)
    state: CaseState = await cases_module.final_state(case_id)
    request = DocumentRequest(template="convention", entry=entry, case=CaseFacts.of(state))
    shelf = Documents(registry.engine)
    again = ActivityEnvironment().run(shelf.render_document, request)
    assert again == convention.id
    # Two attempts that both looked before either stored: the second insert meets the first row.
    # (The journal read back holds no snapshot: the workflow's requests always carry one.)
    with registry.engine.connect() as connection:
        with pytest.raises(DocumentDataMissing, match="no snapshot"):
            shelf.context(connection, request)
        sent = request.model_copy(update={"entry": entry.model_copy(update={"snapshot": CaseSnapshot.of(state)})})
        rendered = shelf.renderer.render("convention", shelf.context(connection, sent))
    assert shelf.store(sent, rendered) == convention.id
    assert [d.id for d in shelf.list(case_id) if d.template == "convention"] == [convention.id]


async def test_the_convention_pdf_renders_as_a_page(journey, registry: Registry) -> None:  # type: ignore[no-untyped-def]
    case_id, documents = journey
    assert documents["convention"].pdf is None, "no PDF at the event: a journey never waits for WeasyPrint"
    shelf = Documents(registry.engine)
    pdf_bytes = shelf.printed(documents["convention"])
    kept = shelf.get(case_id, documents["convention"].id)
    assert kept is not None and kept.pdf == pdf_bytes and shelf.printed(kept) == pdf_bytes, "printed once, then the same file"
    assert pdf_bytes.startswith(b"%PDF")
    pdf = pdfium.PdfDocument(pdf_bytes)
    page = pdf[0].render(scale=60 / 72).to_pil().convert("L")
    inked = sum(page.histogram()[:128])  # dark pixels
    assert inked > 2_000, "a real page with text on it, not an empty one"
    text = "".join(pdf[index].get_textpage().get_text_range() for index in range(len(pdf)))
    assert "Convention individuelle d'accompagnement" in flat(text) and "Anaïs Lefèvre-Ozanne" in flat(text)


def test_two_hirings_in_one_batch_print_their_own_amendment_numbers(registry: Registry, cases_module: Cases) -> None:
    """Both hirings reach the document activity together (one journal batch): each amendment
    prints its own number and its own employer, decided by the core, not counted by the renderer."""
    cases_module.known(structure_id="struct-75", referent_id="ref-1", employer_id="emp-first")
    cases_module.known(employer_id="emp-second")
    person = BeneficiaryIdentity(structure_id="struct-75", first_name="Inès", last_name="Batch", birth_date=date(1991, 4, 2))
    opening = OpenCase(case_id=new_case_id(), structure_id="struct-75", beneficiary_id=register_beneficiary(registry.engine, person),
                       birth_date=date(1991, 4, 2), situation=Situation.RQTH, referent_id="ref-1", actor=COORDINATOR)  # fmt: skip
    now = datetime.now(timezone.utc)
    state, _ = decisions.open_case(opening, now)
    state.phase = Phase.JOB_SEARCH
    batch = [entry for employer_id in ("emp-first", "emp-second")
             for entry in steps.apply(state, RecordHiring(employer_id=employer_id, contract_type=ContractType.CDI,
                                                          start_date=TODAY, actor=COORDINATOR), now)]  # fmt: skip
    for seq, entry in enumerate(batch, start=1):
        entry.seq = seq
    documents = Documents(registry.engine)
    ids = [ActivityEnvironment().run(documents.render_document, DocumentRequest(template="amendment", entry=entry, case=CaseFacts.of(state)))
           for entry in batch if isinstance(entry.event, Hired)]  # fmt: skip
    printed = {d.id: flat(d.markdown) for d in documents.list(opening.case_id)}
    assert "Avenant n° 1 " in printed[ids[0]] and "Entreprise emp-first" in printed[ids[0]]
    assert "Avenant n° 2 " in printed[ids[1]] and "Entreprise emp-second" in printed[ids[1]]


async def test_documents_are_rendered_by_the_documents_worker_not_by_the_cases_worker(env: WorkflowEnvironment, registry: Registry) -> None:
    """Two queues, two workers: a case moves on while no documents worker runs, and its convention
    is rendered as soon as one does."""
    task_queue = f"split-{new_case_id()}"
    cases = Cases(env.client, task_queue, registry.engine)
    with case_worker(env.client, task_queue, registry) as worker:
        async with worker:
            case_id = await cases.open(Situation.RQTH)
            state = await cases.walk_to(case_id, Phase.EVALUATION)
            assert state.phase is Phase.EVALUATION, "the case does not wait for its paperwork"
            await asyncio.sleep(2)
            assert Documents(registry.engine).list(case_id) == [], "the cases' worker renders nothing"
            with documents_worker(env.client, task_queue, registry) as renderer:
                async with renderer:

                    async def convention() -> list[Document]:
                        return [d for d in Documents(registry.engine).list(case_id) if d.template == "convention"]

                    assert len(await eventually(convention)) == 1
