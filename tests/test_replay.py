"""Determinism: histories recorded from real runs must replay on the current workflow code."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.accompaniment import AccompanimentWorkflow
from workflows.converter import DATA_CONVERTER
from workflows.domain import CaseInput, CaseState

HISTORIES_DIR = Path(__file__).parent / "histories"
HISTORIES = sorted(HISTORIES_DIR.glob("*.json"))


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"case-{path.stem}", path.read_text())


def test_histories_of_every_generation_are_committed() -> None:
    assert {path.stem for path in HISTORIES} >= {
        "full_journey-v1", "withdrawn_case-v1",  # before documents: replay without them (workflow.patched)
        "full_journey-v2", "withdrawn_case-v2",  # with documents
    }  # fmt: skip


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: path.stem)
async def test_recorded_history_replays(path: Path) -> None:
    history = load(path)
    assert len(history.events) > 20
    replayer = Replayer(workflows=[AccompanimentWorkflow], data_converter=DATA_CONVERTER)
    await replayer.replay_workflow(history)


@workflow.defn(name="AccompanimentWorkflow")
class TimerBeforeJournal(AccompanimentWorkflow):
    """The change the guard must catch: a timer added before an existing activity."""

    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        super().__init__(input)

    @workflow.run
    async def run(self, input: CaseInput) -> CaseState:
        return await super().run(input)

    async def _write_journal_batch(self) -> None:
        await workflow.sleep(1)
        await super()._write_journal_batch()


async def test_a_non_deterministic_change_fails_replay() -> None:
    replayer = Replayer(workflows=[TimerBeforeJournal], data_converter=DATA_CONVERTER)
    with pytest.raises(workflow.NondeterminismError):
        await replayer.replay_workflow(load(HISTORIES_DIR / "full_journey-v2.json"))
