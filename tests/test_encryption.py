"""Encrypted histories: unreadable without the keys, readable and replayable with them, across a
rotation; and no production worker without a key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from starter.cases import workflow_id
from workflows.encryption import KeyMissing, Keyring, encrypted_converter
from starter.scripted import Cases, cdaph
from tests.harness import TEST_KEYS, history_text
from workflows.accompaniment import AccompanimentWorkflow
from workflows.case.model import Phase, Situation

SECRET_VALUES = ("CDAPH-2026-00042", "1990-05-17", "emp-secret-9")


async def a_case(cases: Cases) -> str:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-secret-9")
    await cases.walk_to(case_id, Phase.CONVENTION, cdaph())
    return case_id


async def test_the_raw_history_holds_none_of_the_case_values(cases: Cases) -> None:
    case_id = await a_case(cases)
    history = await cases.client.get_workflow_handle(workflow_id(case_id)).fetch_history()

    raw = history_text(history)
    for value in SECRET_VALUES:
        assert value not in raw, f"{value} readable without the key"
    assert "binary/encrypted" in raw

    decrypted = history_text(history, decrypt=TEST_KEYS)
    for value in SECRET_VALUES:
        assert value in decrypted, f"{value} should read with the key (or this test proves nothing)"


async def test_after_a_rotation_old_cases_still_read_and_replay(env: WorkflowEnvironment, cases: Cases) -> None:
    case_id = await a_case(cases)
    history = await cases.client.get_workflow_handle(workflow_id(case_id)).fetch_history()
    rotated = TEST_KEYS.rotated("test-k2")
    assert rotated.current == "test-k2" and set(rotated.keys) == {"test-k1", "test-k2"}

    reader = await Client.connect(env.client.service_client.config.target_host, data_converter=encrypted_converter(rotated))
    state = await reader.get_workflow_handle_for(AccompanimentWorkflow.run, workflow_id(case_id)).query(AccompanimentWorkflow.status)
    assert state.employer_id == "emp-secret-9"
    await Replayer(workflows=[AccompanimentWorkflow], data_converter=encrypted_converter(rotated)).replay_workflow(history)

    new_only = Keyring.generate("test-k3")
    with pytest.raises(Exception, match="test-k1"):
        await Replayer(workflows=[AccompanimentWorkflow], data_converter=encrypted_converter(new_only)).replay_workflow(history)


async def test_the_newest_key_encrypts(env: WorkflowEnvironment) -> None:
    rotated = TEST_KEYS.rotated("test-k2")
    codec = encrypted_converter(rotated).payload_codec
    assert codec is not None
    [payload] = await codec.encode(encrypted_converter(TEST_KEYS).payload_converter.to_payloads(["x"]))
    assert payload.metadata["encryption-key-id"] == b"test-k2"


def test_keyring_errors_are_clear() -> None:
    with pytest.raises(KeyMissing, match="id:base64key"):
        Keyring.parse("no-colon-here")
    with pytest.raises(KeyMissing, match="32"):
        Keyring(current="k", keys={"k": b"short"})


def test_a_production_worker_without_a_key_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("EA_ENCRYPTION_KEYS", "EA_KEYS_FILE")}
    env |= {"EA_ENV": "production", "EA_VAR_DIR": str(tmp_path), "TEMPORAL_ADDRESS": "127.0.0.1:1"}
    worker = subprocess.run([sys.executable, "worker.py"], capture_output=True, text=True, env=env, timeout=60,
                            cwd=Path(__file__).resolve().parent.parent)  # fmt: skip
    assert worker.returncode == 2
    assert "refusing to start: no encryption key: set EA_ENCRYPTION_KEYS or EA_KEYS_FILE" in worker.stderr
    assert not (tmp_path / "keys.json").exists(), "production never makes a key"
    cli = subprocess.run([str(Path(sys.executable).parent / "ea"), "status", "any"], capture_output=True, text=True,
                         env=env, timeout=60)  # fmt: skip
    assert cli.returncode == 2 and "encryption: no encryption key" in cli.stderr


def test_ea_keys_rotate_keeps_old_keys_and_never_shows_them(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "EA_ENCRYPTION_KEYS"} | {"EA_VAR_DIR": str(tmp_path)}
    ea = str(Path(sys.executable).parent / "ea")

    def run(*args: str) -> str:
        return subprocess.run([ea, "keys", *args], capture_output=True, text=True, env=env, check=True, timeout=60).stdout

    assert run("list").strip() == "k1  (encrypts)"
    first = Keyring.from_json((tmp_path / "keys.json").read_text())
    assert "k2 now encrypts; k1 still decrypt" in run("rotate")
    second = Keyring.from_json((tmp_path / "keys.json").read_text())
    assert second.current == "k2" and second.keys["k1"] == first.keys["k1"]
    assert (tmp_path / "keys.json").stat().st_mode & 0o777 == 0o600
    listed = run("list", "--json")
    assert '"current": "k2"' in listed and first.to_env().split(":", 1)[1] not in listed
