"""The worker's log says one line per event that matters: a document that cannot be written is
one warning naming what is missing, without a traceback; making a PDF logs nothing at all."""

from __future__ import annotations

import logging

import pytest

from activities.documents.rendering import Renderer
from starter.cases import apply_step
from starter.scripted import COORDINATOR, Cases
from workflows.case.model import AlertKind, AssignReferent, Phase, Situation, Step


async def test_an_expected_document_failure_is_one_line(cases: Cases, caplog: pytest.LogCaptureFixture) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.CONVENTION)
    with caplog.at_level(logging.INFO):
        await apply_step(cases.client, case_id, AssignReferent(referent_id="ref-nowhere-3", actor=COORDINATOR))
        await cases.step(case_id, Step.CLOSE, reason="other")
        final = await cases.final_state(case_id)
    assert [a.kind for a in final.alerts].count(AlertKind.DOCUMENT_FAILED) == 1
    failures = [r for r in caplog.records if r.name == "temporalio.activity" and "ref-nowhere-3" in r.getMessage()]
    assert len(failures) == 1, [r.getMessage() for r in failures]
    [failure] = failures
    assert failure.exc_info is None and failure.exc_text is None
    assert "\n" not in failure.getMessage() and "DocumentDataMissing: référent ref-nowhere-3 is not in the registry" in failure.getMessage()


def test_making_a_pdf_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    import worker

    worker.quiet_logs()
    with caplog.at_level(logging.DEBUG):
        pdf = Renderer.pdf("<html><body><h1>Convention</h1><p>Élodie Dupont, 3 mars 2027</p></body></html>")
    assert pdf.startswith(b"%PDF")
    assert [r.getMessage() for r in caplog.records if r.levelno < logging.WARNING] == []
