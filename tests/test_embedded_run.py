"""`ea run` (what `make run` starts): Ctrl-C stops server and worker; a restart finds every case."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

EA = str(Path(sys.executable).parent / "ea")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ea(address: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EA, "--address", address, *args], capture_output=True, text=True, timeout=60)


def start(var: Path, port: int, ui_port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "EA_VAR_DIR": str(var)}
    process = subprocess.Popen([EA, "run", "--port", str(port), "--ui-port", str(ui_port)], env=env,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stderr is not None
    for line in process.stderr:
        if "worker started" in line:
            return process
    raise AssertionError(f"ea run did not start (exit {process.wait()})")


def interrupt(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


@pytest.mark.slow
def test_a_second_run_finds_every_case_where_it_was(tmp_path: Path) -> None:
    port, ui_port = free_port(), free_port()
    address = f"127.0.0.1:{port}"
    first = start(tmp_path, port, ui_port)
    try:
        opened = ea(address, "open", "--case-id", "PERSIST1", "--structure", "s-1", "--birth-date", "1990-01-01")
        assert opened.returncode == 0, opened.stderr
        assert ea(address, "consent", "PERSIST1").returncode == 0
    finally:
        interrupt(first)
    assert ea(address, "status", "PERSIST1").returncode == 5, "the server stopped with ea run"
    assert (tmp_path / "temporal.db").exists() and (tmp_path / "registry.db").exists()

    second = start(tmp_path, port, ui_port)
    try:
        status = ea(address, "status", "PERSIST1", "--json")
        assert status.returncode == 0, status.stderr
        assert '"phase": "prescription"' in status.stdout
        assert ea(address, "prescribe", "PERSIST1", "--by", "cdaph", "--reference", "D-1", "--situation", "rqth").returncode == 0
    finally:
        interrupt(second)
