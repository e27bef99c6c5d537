"""Where the Temporal server is and which task queue the cases live on, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from temporalio.client import Client

DEFAULT_TASK_QUEUE = "emploi-accompagne"
DEFAULT_WAIT = 10.0


class ServerUnreachable(Exception):
    """No Temporal server answers at the configured address."""


@dataclass(frozen=True)
class Connection:
    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = DEFAULT_TASK_QUEUE
    wait: float = DEFAULT_WAIT
    """Seconds a command waits for a worker's answer (starter/waiting.py)."""

    @classmethod
    def from_env(cls) -> Connection:
        return cls(
            address=os.environ.get("TEMPORAL_ADDRESS", cls.address),
            namespace=os.environ.get("TEMPORAL_NAMESPACE", cls.namespace),
            task_queue=os.environ.get("EA_TASK_QUEUE", cls.task_queue),
            wait=float(os.environ.get("EA_WAIT", cls.wait)),
        )

    async def connect(self) -> Client:
        """A client whose payloads are encrypted with the configured keys (see workflows/encryption.py)."""
        from temporalio.client import Client  # imported by the commands that connect, not by `ea --help`
        from temporalio.service import RPCError

        from workflows.encryption import encrypted_converter, keyring_from_env

        converter = encrypted_converter(keyring_from_env())
        try:
            return await Client.connect(self.address, namespace=self.namespace, data_converter=converter)
        except (RuntimeError, RPCError):
            raise ServerUnreachable(
                f"no Temporal server answers at {self.address}; start one with `make run` (or `ea server`)"
            ) from None
