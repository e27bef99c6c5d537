"""Determinism: histories recorded from real runs must replay on the current workflow code."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.changed_workflow import TimerBeforeJournal
from workflows.accompaniment import AccompanimentWorkflow
from workflows.encryption import encrypted_converter
from tests.harness import TEST_KEYS

HISTORIES_DIR = Path(__file__).parent / "histories"
HISTORIES = sorted(HISTORIES_DIR.glob("*.json"))


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"case-{path.stem}", path.read_text())


def test_histories_of_every_generation_are_committed() -> None:
    assert {path.stem for path in HISTORIES} >= {
        "full_journey-v1", "withdrawn_case-v1",  # before documents: replay without them (workflow.patched)
        "full_journey-v2", "withdrawn_case-v2",  # with documents
        "full_journey-v3", "withdrawn_case-v3",  # with caseloads, intensity, contacts, requests by the person
        "full_journey-v4", "withdrawn_case-v4",  # typed events, signed amendments, several jobs, trainings
    }  # fmt: skip


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: path.stem)
async def test_recorded_history_replays(path: Path) -> None:
    history = load(path)
    assert len(history.events) > 20
    replayer = Replayer(workflows=[AccompanimentWorkflow], data_converter=encrypted_converter(TEST_KEYS))
    await replayer.replay_workflow(history)


async def test_a_non_deterministic_change_fails_replay() -> None:
    replayer = Replayer(workflows=[TimerBeforeJournal], data_converter=encrypted_converter(TEST_KEYS))
    with pytest.raises(workflow.NondeterminismError):
        await replayer.replay_workflow(load(HISTORIES_DIR / "full_journey-v2.json"))
