"""Where the Temporal server is, how to prove who we are to it, and which task queue the cases
live on, from the environment: the worker, `ea` and the benchmarks connect through `Connection`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.runtime import Runtime

DEFAULT_TASK_QUEUE = "emploi-accompagne"
DEFAULT_WAIT = 10.0


class ServerUnreachable(Exception):
    """No Temporal server answers at the configured address."""


class AccessMisconfigured(Exception):
    """The TLS or API-key settings cannot work as given (a file missing, a certificate without its key)."""


ACCESS_VARIABLES = (
    "TEMPORAL_API_KEY",
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_NAME",
)
"""The names the `temporal` CLI and the SDK's environment configuration read too, so one shell
set up for a cluster serves `temporal` and `ea` alike."""


@dataclass(frozen=True)
class ClusterAccess:
    """How a client proves itself to a Temporal cluster or to Temporal Cloud: mTLS (a client
    certificate and its key, optionally the server's CA and name), or an API key (TLS implied),
    or nothing for a dev server. Files are read at connection time, so a renewed certificate is
    picked up by the next process without a new setting."""

    api_key: str | None = None
    tls: bool | None = None
    """None: TLS when a certificate or an API key is given; True or False to force it."""
    client_cert: Path | None = None
    client_key: Path | None = None
    server_ca: Path | None = None
    server_name: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ClusterAccess:
        env = os.environ if environ is None else environ
        path = lambda name: Path(env[name]) if env.get(name) else None  # noqa: E731
        tls = env.get("TEMPORAL_TLS", "").strip().lower()
        return cls(
            api_key=env.get("TEMPORAL_API_KEY") or None,
            tls={"true": True, "1": True, "false": False, "0": False}.get(tls),
            client_cert=path("TEMPORAL_TLS_CLIENT_CERT_PATH"),
            client_key=path("TEMPORAL_TLS_CLIENT_KEY_PATH"),
            server_ca=path("TEMPORAL_TLS_SERVER_CA_CERT_PATH"),
            server_name=env.get("TEMPORAL_TLS_SERVER_NAME") or None,
        )

    @property
    def uses_tls(self) -> bool:
        configured = self.client_cert or self.server_ca or self.server_name or self.api_key
        return bool(configured) if self.tls is None else self.tls

    def describe(self) -> str:
        """For log lines and messages: the kind of access, never a secret."""
        kinds = [kind for kind, present in (("mTLS", self.client_cert), ("API key", self.api_key)) if present]
        return " + ".join(kinds or ["TLS" if self.uses_tls else "plain"])

    def connect_options(self) -> dict[str, Any]:
        """The `Client.connect` arguments for this access (the SDK's TLSConfig and api_key)."""
        from temporalio.service import TLSConfig

        if (self.client_cert is None) != (self.client_key is None):
            raise AccessMisconfigured("mTLS needs both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH")
        options: dict[str, Any] = {"api_key": self.api_key, "tls": False}
        if self.uses_tls:
            options["tls"] = TLSConfig(
                client_cert=_read(self.client_cert, "TEMPORAL_TLS_CLIENT_CERT_PATH"),
                client_private_key=_read(self.client_key, "TEMPORAL_TLS_CLIENT_KEY_PATH"),
                server_root_ca_cert=_read(self.server_ca, "TEMPORAL_TLS_SERVER_CA_CERT_PATH"),
                domain=self.server_name,
            )
        return options


def _read(path: Path | None, setting: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise AccessMisconfigured(f"{setting}: cannot read {path} ({error.strerror})") from None


@dataclass(frozen=True)
class Connection:
    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = DEFAULT_TASK_QUEUE
    wait: float = DEFAULT_WAIT
    """Seconds a command waits for a worker's answer (starter/waiting.py)."""
    access: ClusterAccess = field(default_factory=ClusterAccess)

    @classmethod
    def from_env(cls) -> Connection:
        return cls(
            address=os.environ.get("TEMPORAL_ADDRESS", cls.address),
            namespace=os.environ.get("TEMPORAL_NAMESPACE", cls.namespace),
            task_queue=os.environ.get("EA_TASK_QUEUE", cls.task_queue),
            wait=float(os.environ.get("EA_WAIT", cls.wait)),
            access=ClusterAccess.from_env(),
        )

    async def connect(self, runtime: Runtime | None = None) -> Client:
        """A client whose payloads are encrypted with the configured keys (see workflows/encryption.py);
        `runtime` carries a worker's metrics endpoint (starter/telemetry.py)."""
        from temporalio.client import Client  # imported by the commands that connect, not by `ea --help`
        from temporalio.service import RPCError

        from workflows.encryption import encrypted_converter, keyring_from_env

        converter = encrypted_converter(keyring_from_env())
        options = self.access.connect_options()
        try:
            return await Client.connect(self.address, namespace=self.namespace, data_converter=converter, runtime=runtime, **options)
        except (RuntimeError, RPCError) as error:
            if self.access.uses_tls or self.access.api_key:
                raise ServerUnreachable(f"no Temporal server accepts us at {self.address} ({self.access.describe()}): {error}") from None
            raise ServerUnreachable(
                f"no Temporal server answers at {self.address}; start one with `make run` (or `ea server`)"
            ) from None
