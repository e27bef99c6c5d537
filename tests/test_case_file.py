"""The case file (issue 19): what was found, planned, adapted, with whom; health text sealed at rest."""

from __future__ import annotations

import html
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from activities.documents.rendering import Documents
from activities.registry import evidence_files
from activities.registry.case_file import case_file
from activities.registry.journal import Registry
from activities.registry.report import activity_report
from activities.registry.retention import anonymise
from activities.registry.schema import Adaptation, Evaluation, EvidenceRecord, JournalRow
from activities.registry.sealed import MARK, reseal
from starter.scripted import COORDINATOR, TODAY, Cases
from tests.builders import eventually
from tests.harness import registry_at
from tests.cli_runner import Ea
from workflows.case import steps
from workflows.case.model import (
    Actor,
    ActorRole,
    AdaptationStage,
    AlertKind,
    CaseSettings,
    EvidenceKind,
    Phase,
    RecordAdaptation,
    Situation,
    Step,
)
from workflows.case.refusals import RefusalCode
from workflows.contracts import Anonymisation, Period
from workflows.encryption import Keyring

CAPACITIES = "Grande minutie, tient 4 heures debout avec pauses"
CONSTRAINTS = "Fatigabilité liée à une sclérose en plaques, traitement le lundi"
OPINION = "Avis favorable du Dr Morel : siège assis-debout, pas de port de charges"
NOTES = "Crise d'angoisse en mars, suivi psychiatrique repris"
HEALTH_TEXT = (CAPACITIES, CONSTRAINTS, OPINION, NOTES)


def flat(document_text: str) -> str:
    return " ".join(html.unescape(document_text).split())


async def documented_case_file(cases: Cases) -> str:
    """A case whose référent records an evaluation, a project, objectives, an adaptation decided by
    the employer after signature, and a review of the objectives."""
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.EVALUATION)
    await cases.step(case_id, Step.SUBMIT_EVALUATION, completed_on=TODAY,
                     findings={"capacities": CAPACITIES, "constraints": CONSTRAINTS, "tools": ["Mise en situation en boutique"]})
    await cases.step(case_id, Step.SUBMIT_PROJECT, agreed_on=TODAY,
                     content={"target_jobs": ["M1607", "D1507"], "sectors": ["Commerce"], "conditions": {"weekly_hours": 24,
                              "place": "Bordeaux rive droite"}, "steps": [{"what": "Stage d'observation", "by": TODAY}]},
                     objectives=[{"title": "Tenir un poste de mise en rayon à 24 heures", "due_on": TODAY + timedelta(days=180)}])  # fmt: skip
    await cases.hire(case_id, employer_id="emp-file")
    employer = Actor(role=ActorRole.EMPLOYER, id="emp-file")
    await cases.step(case_id, Step.RECORD_ADAPTATION, stage=AdaptationStage.PROPOSED, on=TODAY, description="Siège assis-debout")
    await cases.step(case_id, Step.RECORD_ADAPTATION, adaptation_id="adapt-1", stage=AdaptationStage.OPINION_GIVEN, on=TODAY, opinion=OPINION)
    await cases.step(case_id, Step.RECORD_ADAPTATION, adaptation_id="adapt-1", stage=AdaptationStage.DECIDED, on=TODAY, actor=employer)
    await cases.step(case_id, Step.RECORD_ADAPTATION, adaptation_id="adapt-1", stage=AdaptationStage.FUNDED, on=TODAY, funder="agefiph")
    await cases.step(case_id, Step.RECORD_ADAPTATION, adaptation_id="adapt-1", stage=AdaptationStage.IN_PLACE, on=TODAY, actor=employer)
    await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY, notes=NOTES,
                     objectives=[{"title": "Tenir un poste de mise en rayon à 24 heures", "status": "in_progress"}])  # fmt: skip
    await cases.step(case_id, Step.CLOSE, reason="goals_reached")
    await cases.final_state(case_id)
    return case_id


@pytest.fixture(scope="module")
async def filed(client, task_queue, registry: Registry) -> str:  # type: ignore[no-untyped-def]
    return await documented_case_file(Cases(client, task_queue, registry.engine))


async def test_the_documents_carry_the_cases_own_findings_objectives_and_adaptations(filed: str, registry: Registry) -> None:
    async def documents() -> dict[str, str] | None:
        made = {d.template: flat(d.markdown) for d in Documents(registry.engine).list(filed)}
        return made if {"evaluation_report", "project", "review_report", "amendment"} <= set(made) else None

    made = await eventually(documents, seconds=20)
    assert CAPACITIES in made["evaluation_report"] and CONSTRAINTS in made["evaluation_report"]
    assert "Mise en situation en boutique" in made["evaluation_report"]
    assert "M1607 — Secrétariat" in made["project"] and "Bordeaux rive droite" in made["project"]
    assert "Tenir un poste de mise en rayon à 24 heures (prévu" in made["project"]
    assert "Tenir un poste de mise en rayon à 24 heures (en cours" in made["review_report"]
    assert "Siège assis-debout : proposé par le référent, en place le" in made["review_report"]
    assert "Siège assis-debout" in made["amendment"], "decided after signature: an amendment to the convention"
    assert all(OPINION not in text for text in made.values()), "the médecin's opinion stays in the case file"


async def test_a_raw_dump_of_the_registry_holds_no_health_text_in_clear(filed: str, registry: Registry) -> None:
    await eventually(lambda: _adaptation_in_place(registry, filed), seconds=20)
    with Session(registry.engine) as session:
        stored = session.scalars(select(Evaluation).where(Evaluation.case_id == filed)).one()
        assert stored.capacities == CAPACITIES, "read back through the keyring"
        raw = session.execute(text("SELECT capacities FROM evaluations WHERE case_id = :c"), {"c": filed}).scalar_one()
        assert raw.startswith(MARK.decode()) and CAPACITIES not in raw
    registry.engine.dispose()  # no connection holds pages back from the file
    database = Path(str(registry.engine.url.database))
    dump = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
    for health in HEALTH_TEXT:
        for encoding in ("utf-8", "utf-16-le"):
            assert health.encode(encoding) not in dump, f"{health!r} in clear in the registry file"
        assert json.dumps(health).encode() not in dump


async def _adaptation_in_place(registry: Registry, case_id: str) -> bool:
    with Session(registry.engine) as session:
        row = session.scalars(select(Adaptation).where(Adaptation.case_id == case_id)).first()
        return row is not None and row.stage == "in_place"


async def test_the_case_file_reads_back_every_part_and_logs_the_view(filed: str, registry: Registry) -> None:
    await eventually(lambda: _adaptation_in_place(registry, filed), seconds=20)
    file = case_file(registry.engine, filed, Actor(role=ActorRole.REFERENT, id="ref-1"))
    assert file["evaluations"][0]["constraints"] == CONSTRAINTS
    assert file["projects"][0]["content"]["target_jobs"] == ["M1607", "D1507"]
    assert [(o["title"], o["status"]) for o in file["objectives"]] == [("Tenir un poste de mise en rayon à 24 heures", "in_progress")]
    adaptation = file["adaptations"][0]
    assert (adaptation["stage"], adaptation["funder"], adaptation["opinion"], adaptation["amendment"]) == ("in_place", "agefiph", OPINION, 2)
    assert any(r["notes"] == NOTES for r in file["reviews"])
    viewed = Registry(registry.engine).journal(filed)
    assert any(e.kind == "case_file_viewed" and e.actor and e.actor.id == "ref-1" for e in viewed)


async def test_the_funders_report_splits_by_funder_and_holds_no_health_text(filed: str, registry: Registry) -> None:
    await eventually(lambda: _adaptation_in_place(registry, filed), seconds=20)
    with Session(registry.engine) as session:
        report = activity_report(session, Period(start=TODAY - timedelta(days=1), end=TODAY + timedelta(days=1)))
    dumped = report.model_dump_json()
    assert report.by_funder["agefiph"].adaptations_funded >= 1
    assert all(health not in dumped for health in HEALTH_TEXT)


def test_key_rotation_reseals_the_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = registry_at(tmp_path)
    old = Keyring.generate("k-old")
    monkeypatch.setenv("EA_ENCRYPTION_KEYS", old.to_env())
    with Session(registry.engine) as session, session.begin():
        session.add(Evaluation(case_id="C-rot", seq=1, at=datetime.now(timezone.utc), completed_on=TODAY, constraints=CONSTRAINTS))
        session.add(JournalRow(case_id="C-rot", seq=1, at=datetime.now(timezone.utc), kind="submit_evaluation", phase_before="evaluation",
                               phase_after="project", detail={"completed_on": TODAY.isoformat()}, private_detail={"findings": {"constraints": CONSTRAINTS}}))  # fmt: skip
    rotated = old.rotated("k-new")
    monkeypatch.setenv("EA_ENCRYPTION_KEYS", rotated.to_env())
    assert reseal(registry.engine) == 2
    assert reseal(registry.engine) == 0, "nothing left sealed with an older key"
    with registry.engine.connect() as connection:
        raw = connection.execute(text("SELECT constraints FROM evaluations")).scalar_one()
    assert raw.startswith(f"{MARK.decode()}k-new:") and CONSTRAINTS not in raw
    monkeypatch.setenv("EA_ENCRYPTION_KEYS", Keyring(current="k-new", keys={"k-new": rotated.keys["k-new"]}).to_env())
    with Session(registry.engine) as session:
        assert session.scalars(select(Evaluation.constraints)).one() == CONSTRAINTS, "the old key is no longer needed"
    assert Registry(registry.engine).journal("C-rot")[0].event.findings.constraints == CONSTRAINTS  # type: ignore[union-attr]
    registry.engine.dispose()


async def test_an_adaptation_is_decided_by_the_employer_only(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-decides")
    state = await cases.walk_to(case_id, Phase.EVALUATION)
    proposed = RecordAdaptation(stage=AdaptationStage.PROPOSED, on=TODAY, description="Horaires décalés", actor=COORDINATOR)
    await cases.step(case_id, Step.RECORD_ADAPTATION, **proposed.model_dump(exclude={"actor"}))
    state = await cases.status(case_id)
    decided = RecordAdaptation(adaptation_id="adapt-1", stage=AdaptationStage.DECIDED, on=TODAY, actor=COORDINATOR)
    assert steps.refuse(state, decided, TODAY).code is RefusalCode.ADAPTATION_ACTOR  # type: ignore[union-attr]
    other_employer = decided.model_copy(update={"actor": Actor(role=ActorRole.EMPLOYER, id="emp-other")})
    assert steps.refuse(state, other_employer, TODAY).code is RefusalCode.NOT_THE_CASES_EMPLOYER  # type: ignore[union-attr]
    early = RecordAdaptation(adaptation_id="adapt-1", stage=AdaptationStage.IN_PLACE, on=TODAY, actor=COORDINATOR)
    assert steps.refuse(state, early, TODAY).code is RefusalCode.ADAPTATION_STAGE  # type: ignore[union-attr]
    employer = Actor(role=ActorRole.EMPLOYER, id="emp-decides")
    state = await cases.step(case_id, Step.RECORD_ADAPTATION, adaptation_id="adapt-1", stage=AdaptationStage.DECIDED, on=TODAY, actor=employer)
    unfunded = RecordAdaptation(adaptation_id="adapt-1", stage=AdaptationStage.FUNDED, on=TODAY, actor=COORDINATOR)
    assert steps.refuse(state, unfunded, TODAY).code is RefusalCode.ADAPTATION_NEEDS  # type: ignore[union-attr]
    state = await cases.step(case_id, Step.RECORD_ADAPTATION, adaptation_id="adapt-1", stage=AdaptationStage.FUNDED, on=TODAY, funder="fiphfp")
    state = await cases.step(case_id, Step.RECORD_ADAPTATION, adaptation_id="adapt-1", stage=AdaptationStage.IN_PLACE, on=TODAY, actor=employer)
    adaptation = state.adaptations[0]
    assert adaptation.stage is AdaptationStage.IN_PLACE and adaptation.amendment == 1, "decided after signature: amendment n° 1"
    assert set(adaptation.dates) == {AdaptationStage.PROPOSED, AdaptationStage.DECIDED, AdaptationStage.FUNDED, AdaptationStage.IN_PLACE}


@pytest.mark.slow
async def test_an_expiring_rqth_warns_the_referent_on_a_seconds_scale_setting(cases: Cases, registry: Registry) -> None:
    valid_until = TODAY + timedelta(days=1)
    expires = datetime.combine(valid_until + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
    warn_before = expires - datetime.now(timezone.utc) - timedelta(seconds=3)  # the warning falls 3 s from now
    case_id = await cases.open(Situation.RQTH, settings=CaseSettings(evidence_warning_before=warn_before))
    state = await cases.step(case_id, Step.RECORD_EVIDENCE, kind=EvidenceKind.RQTH, valid_from=date(2022, 3, 1), valid_until=valid_until)
    assert not state.evidence[0].warned and not state.alerts

    async def warned() -> bool:
        state = await cases.status(case_id)
        return any(alert.kind is AlertKind.EVIDENCE_EXPIRING for alert in state.alerts)

    await eventually(warned, seconds=15)

    async def mailed() -> bool:
        with Session(registry.engine) as session:
            kinds = session.execute(text("SELECT recipient, kind FROM notifications WHERE case_id = :c"), {"c": case_id}).all()
            warned_at = session.scalars(select(EvidenceRecord.warned_at).where(EvidenceRecord.case_id == case_id)).first()
        return ("referent:ref-1", "evidence_expiring") in kinds and warned_at is not None

    await eventually(mailed, seconds=10)
    for_life = await cases.open(Situation.RQTH, settings=CaseSettings(evidence_warning_before=warn_before))
    state = await cases.step(for_life, Step.RECORD_EVIDENCE, kind=EvidenceKind.RQTH, valid_from=date(2022, 3, 1))
    assert state.evidence[0].valid_until is None and not [d for d in __import__("workflows.case.rules", fromlist=["x"]).deadlines(state)
                                                          if d.kind is AlertKind.EVIDENCE_EXPIRING]


def test_a_scan_is_checked_by_its_content_and_size_and_stored_sealed(registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EA_EVIDENCE_DIR", str(tmp_path))
    pdf = b"%PDF-1.7\n" + "RQTH accordée à Camille Martin".encode() + b"\n%%EOF"
    file_id = evidence_files.store(registry.engine, "C-scan", pdf)
    assert evidence_files.store(registry.engine, "C-scan", pdf) == file_id, "the same scan again: stored once"
    assert b"Camille Martin" not in (tmp_path / file_id).read_bytes()
    assert (tmp_path / file_id).stat().st_mode & 0o777 == 0o600
    row, content = evidence_files.read(registry.engine, file_id)  # type: ignore[misc]
    assert (row.content_type, content) == ("application/pdf", pdf)
    with pytest.raises(evidence_files.RejectedFile, match="PDF, a PNG or a JPEG"):
        evidence_files.store(registry.engine, "C-scan", b"MZ\x90\x00 an executable renamed scan.pdf")
    monkeypatch.setenv("EA_EVIDENCE_MAX_BYTES", "100")
    with pytest.raises(evidence_files.RejectedFile, match="at most"):
        evidence_files.store(registry.engine, "C-scan", b"\x89PNG\r\n\x1a\n" + bytes(200))


async def test_the_cli_fills_and_reads_the_case_file(cli: Ea, tmp_path: Path) -> None:
    await cli.known(structures=("struct-cli",), referents=("ref-cli",))
    await cli.ok("directory", "employer", "emp-public", "--name", "Mairie de Pessac", "--sector", "public", "--site", "Hôtel de ville")
    await cli.ok("directory", "partner", "mdph-33", "--name", "MDPH de la Gironde", "--kind", "mdph")
    assert "SIRET" in await cli.fails("directory", "employer", "emp-bad", "--name", "X", "--siret", "12345678900000")
    opened = await cli.json("open", "--structure", "struct-cli", "--birth-date", "1990-02-03", "--situation", "employee",
                            "--employer", "emp-public", "--referent", "ref-cli", "--first-name", "Lou", "--last-name", "Ferrand")  # fmt: skip
    case = opened["case_id"]
    await cli.ok("--actor", f"beneficiary:{opened['beneficiary_id']}", "consent", case)
    await cli.ok("prescribe", case, "--by", "cap_emploi", "--reference", "CE-1", "--objective", "Garder son poste d'agent d'accueil")
    for party in ("structure", "beneficiary", "employer"):
        actor = {"structure": "coordinator:c", "beneficiary": f"beneficiary:{opened['beneficiary_id']}", "employer": "employer:emp-public"}[party]
        await cli.ok("--actor", actor, "sign", case, "--party", party)
    evaluation = tmp_path / "evaluation.yaml"
    evaluation.write_text(f"capacities: {CAPACITIES}\nconstraints: {CONSTRAINTS}\ntools: [entretien]\n", encoding="utf-8")
    await cli.ok("evaluation", case, "--from-file", str(evaluation))
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("capacity: typo\n", encoding="utf-8")
    assert "capacity" in await cli.fails("evaluation", case, "--from-file", str(wrong))
    await cli.ok("partner", case, "mdph-33")
    await cli.ok("adaptation", case, "--stage", "proposed", "--description", "Horaires aménagés")
    await cli.ok("--actor", "employer:emp-public", "adaptation", case, "adapt-1", "--stage", "decided")
    assert "FIPHFP" in (await cli.fails("adaptation", case, "adapt-1", "--stage", "funded", "--funder", "agefiph")).replace("fiphfp", "FIPHFP")
    funded = await cli.json("adaptation", case, "adapt-1", "--stage", "funded")
    assert funded["adaptations"][0]["funder"] == "fiphfp", "the public sector's funder by default"
    scan = tmp_path / "rqth.pdf"
    scan.write_bytes(b"%PDF-1.4\nscan\n%%EOF")
    await cli.ok("evidence", case, "--kind", "cdaph_decision", "--from", "2024-01-01", "--until", "2029-12-31", "--file", str(scan))
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"<html>not a pdf</html>")
    assert "PDF, a PNG or a JPEG" in await cli.fails("evidence", case, "--kind", "rqth", "--from", "2024-01-01", "--file", str(fake))

    async def filed() -> dict | None:
        result = await cli.json("case", "file", case)
        return result if result["adaptations"] and result["evidence"] and result["partners"] else None

    file = await eventually(filed, seconds=15)
    assert file["evaluations"][0]["capacities"] == CAPACITIES and file["partners"][0]["kind"] == "mdph"
    assert file["evidence"][0]["file"]["content_type"] == "application/pdf"
    printed = await cli.ok("case", "file", case)
    assert "Horaires aménagés" in printed and CONSTRAINTS in printed


async def test_erasure_removes_the_case_files_health_text(filed: str, registry: Registry) -> None:
    """Last of the module: it erases the person the other tests read."""
    await eventually(lambda: _adaptation_in_place(registry, filed), seconds=20)
    with Session(registry.engine) as session:
        beneficiary_id = session.execute(text("SELECT beneficiary_id FROM cases WHERE id = :c"), {"c": filed}).scalar_one()
    anonymise(registry.engine, Anonymisation(beneficiary_id=beneficiary_id, reason="request", actor=COORDINATOR))
    file = case_file(registry.engine, filed, COORDINATOR)
    assert file["evaluations"][0]["constraints"] is None and file["adaptations"][0]["opinion"] is None
    assert all(r["notes"] is None for r in file["reviews"]) and file["adaptations"][0]["stage"] == "in_place", "statistics stay"
    with Session(registry.engine) as session:
        assert not [row for row in session.scalars(select(JournalRow.private_detail).where(JournalRow.case_id == filed)) if row]
