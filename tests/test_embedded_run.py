"""`ea run` (what `make run` starts): Ctrl-C stops server and worker; a restart finds every case."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from starter.devserver import free_port

EA = str(Path(sys.executable).parent / "ea")


_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "EA_ENCRYPTION_KEYS"}
"""`ea run` makes its own key file: not the tests' keyring (conftest.py) in its environment."""


def ea(address: str, *args: str, var: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`ea` as a coordinator runs it beside `ea run`: same var/ directory, so the same keys."""
    env = {**_ENVIRONMENT, "EA_ACTOR": "coordinator:coord-1", **({"EA_VAR_DIR": str(var)} if var else {})}
    return subprocess.run([EA, "--address", address, *args], capture_output=True, text=True, timeout=60, env=env)


def start(var: Path, port: int, ui_port: int, codec_port: int | None = None, web_port: int | None = None,
          **settings: str) -> subprocess.Popen[str]:  # fmt: skip
    """`ea run` on free ports (its SMTP catcher, calendar feeds and staff application too), state in `var`."""
    env = {**_ENVIRONMENT, "EA_VAR_DIR": str(var), "EA_SMTP_PORT": str(free_port()), "EA_CALENDAR_PORT": str(free_port()),
           "EA_WEB_PORT": str(web_port or free_port()), **settings}  # fmt: skip
    ports = ["--port", str(port), "--ui-port", str(ui_port), "--codec-port", str(codec_port or free_port())]
    process = subprocess.Popen([EA, "run", *ports], env=env, stderr=subprocess.PIPE, text=True)
    wait_for_line(process, "worker started")
    return process


def wait_for_line(process: subprocess.Popen[str], text: str) -> None:
    """Read the process's stderr until a line says `text`."""
    assert process.stderr is not None
    for line in process.stderr:
        if text in line:
            return
    raise AssertionError(f"{process.args[1:]} never said {text!r} (exit {process.wait()})")


def status_of(url: str, seconds: float = 30) -> int:
    """The HTTP status a GET of `url` answers, once something listens there."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return urllib.request.urlopen(url, timeout=10).status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def interrupt(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


@pytest.mark.slow
def test_a_second_run_finds_every_case_where_it_was(tmp_path: Path) -> None:
    port, ui_port, codec_port, web_port = free_port(), free_port(), free_port(), free_port()
    address = f"127.0.0.1:{port}"
    first = start(tmp_path, port, ui_port, codec_port, web_port)
    try:
        token = (tmp_path / "codec-token").read_text()
        assert (tmp_path / "codec-token").stat().st_mode & 0o777 == 0o600
        for url, expected in ((f"http://127.0.0.1:{codec_port}/decode", 401),
                              (f"http://127.0.0.1:{codec_port}/{token}/decode", 200)):  # fmt: skip
            request = urllib.request.Request(url, data=b'{"payloads": []}', method="POST")
            try:
                status = urllib.request.urlopen(request, timeout=10).status
            except urllib.error.HTTPError as error:
                status = error.code
            assert status == expected, url.replace(token, "<token>")
        assert status_of(f"http://127.0.0.1:{web_port}/connexion") == 200, "ea run serves the staff application"
        assert ea(address, "directory", "structure", "s-1", "--name", "Plateforme", var=tmp_path).returncode == 0
        opened = ea(address, "open", "--case-id", "PERSIST1", "--structure", "s-1", "--birth-date", "1990-01-01", var=tmp_path)
        assert opened.returncode == 0, opened.stderr
        assert ea(address, "consent", "PERSIST1", var=tmp_path).returncode == 4, "a coordinator does not consent for the person"
        assert ea(address, "--actor", "beneficiary:someone", "consent", "PERSIST1", var=tmp_path).returncode == 0
    finally:
        interrupt(first)
    assert ea(address, "status", "PERSIST1", var=tmp_path).returncode == 5, "the server stopped with ea run"
    assert (tmp_path / "temporal.db").exists() and (tmp_path / "registry.db").exists()
    assert (tmp_path / "keys.json").stat().st_mode & 0o777 == 0o600, "the local key is private"

    second = start(tmp_path, port, ui_port)
    try:
        status = ea(address, "status", "PERSIST1", "--json", var=tmp_path)
        assert status.returncode == 0, status.stderr
        assert '"phase": "prescription"' in status.stdout
        prescribed = ea(address, "prescribe", "PERSIST1", "--by", "cdaph", "--reference", "D-1", "--situation", "rqth", var=tmp_path)
        assert prescribed.returncode == 0, prescribed.stderr
    finally:
        interrupt(second)


@pytest.mark.slow
def test_a_review_overdue_under_ea_run_shows_in_ea_mail_list(tmp_path: Path) -> None:
    """The issue's "done when": `ea run`, a case driven to an overdue review with seconds-scale
    settings, and the référent's message is in `ea mail list`, kept in var/mail/ for its owner only."""
    port, ui_port = free_port(), free_port()
    address = f"127.0.0.1:{port}"
    case_file = tmp_path / "case.yaml"
    case_file.write_text("case_id: MAIL1\nstructure_id: s-1\nbirth_date: 1990-01-01\nsituation: employee\nemployer_id: emp-1\n"
                         "referent_id: ref-1\nsettings: {intensive_in_job_review_every: 2, in_job_review_every: 2, review_grace: 1}\n")
    running = start(tmp_path, port, ui_port, EA_NOTIFY_EVERY="1")
    try:
        steps = [("directory", "structure", "s-1", "--name", "Plateforme"), ("directory", "employer", "emp-1", "--name", "Acme"),
                 ("directory", "referent", "ref-1", "--name", "Karim Benali", "--email", "k.benali@ea75.fr"),
                 ("open", "--from-file", str(case_file)), ("--actor", "beneficiary:p-1", "consent", "MAIL1"),
                 ("prescribe", "MAIL1", "--by", "cdaph", "--reference", "D-1"),
                 ("--actor", "beneficiary:p-1", "sign", "MAIL1", "--party", "beneficiary"), ("sign", "MAIL1", "--party", "structure"),
                 ("--actor", "employer:emp-1", "sign", "MAIL1", "--party", "employer"), ("evaluation", "MAIL1"), ("project", "MAIL1")]  # fmt: skip
        for step in steps:
            done = ea(address, *step, var=tmp_path)
            assert done.returncode == 0, (step, done.stderr)
        deadline, subjects = time.monotonic() + 60, []
        while time.monotonic() < deadline and not any("Revue périodique en retard" in s for s in subjects):
            time.sleep(1)
            listed = ea(address, "mail", "list", "--json", var=tmp_path)
            subjects = [m["subject"] for m in json.loads(listed.stdout)["messages"]]
        number = next(n for n, s in enumerate(subjects, start=1) if "Revue périodique en retard" in s)
        shown = ea(address, "mail", "show", str(number), var=tmp_path)
        assert "To: Karim Benali <k.benali@ea75.fr>" in shown.stdout and "dossier MAIL1" in shown.stdout
        assert all(path.stat().st_mode & 0o777 == 0o600 for path in (tmp_path / "mail").iterdir())
        sent = json.loads(ea(address, "notifications", "MAIL1", "--json", var=tmp_path).stdout)["notifications"]
        assert {"referent:ref-1"} <= {n["recipient"] for n in sent if n["status"] == "sent"}
        assert ea(address, "mail", "show", "999", var=tmp_path).returncode == 3
        assert ea(address, "notifications", "NOPE", var=tmp_path).returncode == 3
    finally:
        interrupt(running)


@pytest.mark.slow
def test_ea_server_alone_serves_with_our_search_attributes(tmp_path: Path) -> None:
    port, ui_port = free_port(), free_port()
    env = {**_ENVIRONMENT, "EA_VAR_DIR": str(tmp_path)}
    server = subprocess.Popen([EA, "server", "--port", str(port), "--ui-port", str(ui_port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        address = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while (listed := ea(address, "list", "--phase", "consent", "--json", var=tmp_path)).returncode == 5 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert listed.returncode == 0, f"a query on EaPhase is accepted: {listed.stderr}"
        setup = ea(address, "admin", "setup", "--json", var=tmp_path)
        assert setup.returncode == 0 and '"added"' not in setup.stdout, "make run registered them all already"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_ea_worker_serves_a_queue_and_stops_gracefully(tmp_path: Path) -> None:
    import asyncio

    from tests.harness import TEST_KEYS, temporal_environment

    async def scenario() -> None:
        async with temporal_environment() as env:
            address = env.client.service_client.config.target_host
            environment = {**_ENVIRONMENT, "DATABASE_URL": f"sqlite:///{tmp_path / 'registry.db'}",
                           "EA_ENCRYPTION_KEYS": TEST_KEYS.to_env(), "EA_ACTOR": "coordinator:coord-1"}  # fmt: skip
            worker = subprocess.Popen([EA, "--address", address, "--task-queue", "worker-test", "worker"],
                                      env=environment, stderr=subprocess.PIPE, text=True)  # fmt: skip
            try:
                wait_for_line(worker, "worker started")
                directory = [EA, "directory", "structure", "s-1", "--name", "Plateforme"]
                assert subprocess.run(directory, env=environment, capture_output=True).returncode == 0
                opened = await asyncio.to_thread(
                    subprocess.run, [EA, "--address", address, "--task-queue", "worker-test", "open", "--case-id",
                                     "W1", "--structure", "s-1", "--birth-date", "1990-01-01"],
                    capture_output=True, text=True, env=environment)  # fmt: skip
                assert opened.returncode == 0, opened.stderr
                assert "awaiting consent" in opened.stdout, "the worker ran the case's first task"
            finally:
                worker.send_signal(signal.SIGTERM)
                wait_for_line(worker, "worker stopped")
                assert worker.wait(timeout=30) == 0

    asyncio.run(scenario())


def test_ea_migrate_brings_an_empty_database_to_the_newest_schema(tmp_path: Path) -> None:
    database = tmp_path / "registry.db"
    env = {**_ENVIRONMENT, "DATABASE_URL": f"sqlite:///{database}"}
    for _ in range(2):  # and again: nothing to do
        result = subprocess.run([EA, "migrate"], capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0 and "up to date" in result.stdout
    import sqlite3

    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"journal", "cases", "documents", "beneficiaries", "alembic_version"} <= tables
