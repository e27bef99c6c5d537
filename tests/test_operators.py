"""The operators' view: lists through Temporal visibility (and the real `temporal` CLI), the UI's
summary of a case, search attributes on a cluster, and the coordinators' bulk import."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest, RemoveSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from starter.cases import workflow_id
from starter.exits import EXIT_REFUSED, EXIT_SOME_ROWS_FAILED, EXIT_USAGE
from starter.devserver import temporal_binary
from tests.builders import SECONDS, eventually
from starter.scripted import Cases, new_case_id
from tests.cli_runner import Ea
from workflows.case.model import Phase, Situation
from workflows.reporting import SCHEDULE_ID as REPORT_SCHEDULE_ID
from workflows.notifying import DIGEST_SCHEDULE_ID, SENDER_SCHEDULE_ID
from workflows.retention import SCHEDULE_ID as RETENTION_SCHEDULE_ID

OURS = (RETENTION_SCHEDULE_ID, REPORT_SCHEDULE_ID, SENDER_SCHEDULE_ID, DIGEST_SCHEDULE_ID)
"""Every schedule `ea admin setup` registers."""


def temporal_cli(env: WorkflowEnvironment, *args: str) -> list[dict]:
    address = env.client.service_client.config.target_host
    result = subprocess.run([temporal_binary(), "workflow", "list", "--address", address, "-o", "json", *args],
                            capture_output=True, text=True, check=True, timeout=30)  # fmt: skip
    return json.loads(result.stdout or "[]")


async def test_operators_find_cases_with_the_temporal_cli(env: WorkflowEnvironment, cases: Cases) -> None:
    structure = f"struct-ops-{new_case_id()}"
    in_support = [await cases.open(Situation.EMPLOYEE, employer_id="emp-o", structure_id=structure) for _ in range(2)]
    for case_id in in_support:
        await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    seeker = await cases.open(Situation.RQTH, structure_id=structure)
    late = await cases.open(Situation.EMPLOYEE, employer_id="emp-o", structure_id=structure, settings=SECONDS)
    await cases.walk_to(late, Phase.IN_JOB_SUPPORT)

    def ids(query: str) -> set[str]:
        return {row["execution"]["workflowId"] for row in temporal_cli(env, "--query", query)}

    async def listed() -> bool:
        expected_support = {workflow_id(c) for c in in_support}
        return (ids(f'EaStructure="{structure}" AND EaPhase="in_job_support" AND EaOverdue=false') == expected_support
                and ids(f'EaStructure="{structure}" AND EaOverdue=true') == {workflow_id(late)}
                and ids(f'EaStructure="{structure}" AND EaPhase="consent"') == {workflow_id(seeker)})  # fmt: skip

    await eventually(listed, seconds=20)


async def test_ea_list_filters_like_the_ui(env: WorkflowEnvironment, cases: Cases, cli: Ea) -> None:
    structure = f"struct-list-{new_case_id()}"
    waiting = await cases.open(Situation.EMPLOYEE, employer_id="emp-l", structure_id=structure, referent_id="ref-l1")
    await cases.walk_to(waiting, Phase.PRESCRIPTION)
    await cases.request(waiting, "emp-l", kind="mediation")
    other = await cases.open(Situation.RQTH, structure_id=structure, referent_id="ref-l2")

    async def listed() -> bool:
        with_requests = await cli.json("list", "--structure", structure, "--open-requests")
        by_referent = await cli.json("list", "--structure", structure, "--referent", "ref-l2")
        return ([c["case_id"] for c in with_requests["cases"]] == [waiting]
                and [c["case_id"] for c in by_referent["cases"]] == [other])  # fmt: skip

    await eventually(listed, seconds=20)
    table = await cli.ok("list", "--structure", structure, "--phase", "consent")
    assert other in table and waiting not in table
    refused = await cli("list", "--structure", "x' OR '1'='1")
    assert refused.exit_code == EXIT_USAGE, "ids are validated: nothing is injected into the query"


async def test_the_ui_shows_a_readable_summary_of_each_case(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-u")
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    await cases.request(case_id, "emp-u")
    handle = cases.client.get_workflow_handle(workflow_id(case_id))
    description = await handle.describe()
    assert await description.static_summary() == f"Case {case_id} · structure struct-75"

    async def details() -> str | None:
        metadata = await handle.query("__temporal_workflow_metadata")
        text = metadata.current_details if hasattr(metadata, "current_details") else metadata["currentDetails"]
        return text if "1 open request" in text else None

    text = await eventually(details)
    assert text.startswith("in-job support (intensive) · 1 open request · next review ")


async def test_admin_setup_on_a_bare_cluster_is_harmless_the_second_time(tmp_path: Path) -> None:
    bare = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_binary())
    try:
        cli, service = Ea(bare.client.service_client.config.target_host, "q"), bare.client.operator_service
        first = await cli.json("admin", "setup")
        assert set(first["search_attributes"].values()) == {"added"} and len(first["search_attributes"]) == 8
        assert first["schedules"] == {schedule: "created" for schedule in OURS}
        registered = await service.list_search_attributes(ListSearchAttributesRequest(namespace="default"))
        paused = bare.client.get_schedule_handle(REPORT_SCHEDULE_ID)
        await paused.pause(note="tuned by an operator")

        again = await cli.json("admin", "setup")
        assert set(again["search_attributes"].values()) == {"present"}
        assert again["schedules"] == {schedule: "present" for schedule in OURS}
        assert await service.list_search_attributes(ListSearchAttributesRequest(namespace="default")) == registered
        assert sorted([s.id async for s in await bare.client.list_schedules()]) == sorted(OURS)
        assert (await paused.describe()).schedule.state.paused, "what an operator changed is kept"

        await service.remove_search_attributes(RemoveSearchAttributesRequest(namespace="default", search_attributes=["EaOverdue"]))
        await service.add_search_attributes(AddSearchAttributesRequest(namespace="default",
                                                                       search_attributes={"EaOverdue": IndexedValueType.INDEXED_VALUE_TYPE_INT}))  # fmt: skip
        clash = await cli("admin", "setup")
        assert clash.exit_code == EXIT_REFUSED and "EaOverdue is INT, ours is BOOL" in clash.stderr
    finally:
        await bare.shutdown()


CSV = """case_id;structure_id;birth_date;first_name;last_name;situation;email
IMP-{tag}-1;struct-75;1991-04-02;Léa;Garnier-{tag};rqth;lea.g@example.fr
IMP-{tag}-2;struct-75;02/04/1991;Hugo;Petit-{tag};rqth;
IMP-{tag}-3;struct-75;1988-12-30;Inès;Moreau-{tag};bogus;
IMP-{tag}-4;struct-75;1979-06-15;Paul;Roux-{tag};esat;paul.roux@example.fr
"""


async def test_bulk_import_is_idempotent_and_reports_each_bad_row(cli: Ea, cases: Cases, tmp_path: Path) -> None:
    tag = new_case_id()
    file = tmp_path / "cases.csv"
    file.write_text(CSV.format(tag=tag), encoding="utf-8")

    first = await cli("import", str(file))
    assert first.exit_code == EXIT_SOME_ROWS_FAILED
    assert "2 opened, 0 already open, 2 failed" in first.stdout
    assert f"line 3 (case IMP-{tag}-2): birth_date" in first.stderr
    assert f"line 4 (case IMP-{tag}-3): situation" in first.stderr

    again = await cli("import", str(file), "--json")
    report = json.loads(again.stdout)
    assert again.exit_code == EXIT_SOME_ROWS_FAILED
    assert report["counts"] == {"opened": 0, "already_open": 2, "failed": 2}
    assert (await cases.status(f"IMP-{tag}-4")).phase is Phase.CONSENT


async def test_a_file_that_is_not_a_case_list_is_refused_whole(cli: Ea, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("case,name\n1,Jean\n", encoding="utf-8")
    result = await cli("import", str(wrong))
    assert result.exit_code == EXIT_USAGE and "line 1 lacks the column(s) case_id, structure_id" in result.stderr
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("case_id,structure_id,birth_date,first_name,last_name\nA1,s,1990-01-01,Zoé,Éluard\n".encode("latin-1"))
    result = await cli("import", str(latin1))
    assert result.exit_code == EXIT_USAGE and "not UTF-8" in result.stderr
