"""`ea` starts fast: `ea --help` imports no command module (the index names them), `ea status`
imports what a query needs and not the workflow, the case core's rules, SQLAlchemy or Alembic;
`ea history` reads the registry's journal, not Temporal.
Checked by what is imported, which a slow machine does not blur; the times are in the README."""

from __future__ import annotations

import json
import subprocess
import sys


from starter.lazy import built_index
from starter.command_index import INDEX
from starter.reads import STATUS_QUERY
from workflows.accompaniment import AccompanimentWorkflow

HEAVY = ("temporalio", "sqlalchemy", "alembic", "pydantic", "weasyprint", "matplotlib", "workflows.case.steps", "rich")
NOT_FOR_STATUS = ("sqlalchemy", "alembic", "weasyprint", "matplotlib", "workflows.accompaniment", "workflows.case.steps",
                  "workflows.case.decisions", "activities", "yaml")  # fmt: skip

PROBE = """
import json, sys
from starter.cli import ea
try:
    ea.main(sys.argv[1:], standalone_mode=False)
except BaseException:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def imported_by(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60, check=True,
                          env={"TEMPORAL_ADDRESS": "127.0.0.1:1", "EA_ENCRYPTION_KEYS": "k:" + "A" * 43 + "="})  # fmt: skip
    return json.loads(done.stdout.splitlines()[-1])


def test_the_command_index_is_up_to_date() -> None:
    assert INDEX == built_index(), "a command changed: run `python -m starter.lazy` and commit starter/command_index.py"


def test_the_status_query_is_the_workflows() -> None:
    assert getattr(AccompanimentWorkflow.status, "__temporal_query_definition").name == STATUS_QUERY


def test_help_imports_no_command_module() -> None:
    modules = imported_by("--help")
    assert [m for m in modules if m.startswith(HEAVY) or m.startswith("starter.commands")] == []


def test_reading_a_case_imports_only_what_a_query_needs() -> None:
    modules = imported_by("status", "C1")
    assert "temporalio.client" in modules, "it did try to connect"
    assert [m for m in modules if m.startswith(NOT_FOR_STATUS)] == []


def test_history_reads_the_journal_without_the_workflow_or_the_documents() -> None:
    """Every event with its actor is in the registry's journal, not in the workflow's state."""
    modules = imported_by("history", "C1")
    assert "activities.registry.journal" in modules
    assert [m for m in modules if m.startswith(("weasyprint", "matplotlib", "workflows.accompaniment", "activities.documents"))] == []
