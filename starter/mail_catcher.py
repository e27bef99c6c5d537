"""The embedded default: a local SMTP server on loopback (aiosmtpd) that keeps each message in
var/mail/ instead of delivering it, so that `make run` shows the notifications at once (`ea mail
list`). Production points EA_SMTP_HOST at the platform's server and `ea run` starts no catcher.

Messages hold personal data: each file is the owner's only from its first byte. A message that
comes again with the same Message-ID (the sender's at-least-once window) is kept once.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from workflows.private_files import PRIVATE_DIR, create_private, var_dir


def mail_dir() -> Path:
    """EA_MAIL_DIR, or var/mail/."""
    configured = os.environ.get("EA_MAIL_DIR")
    return Path(configured) if configured else var_dir() / "mail"


class KeepInDirectory:
    """The aiosmtpd handler: each accepted message becomes a file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's naming)
        keep(self.directory, envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def keep(directory: Path, content: bytes) -> Path:
    """Store one message (once per Message-ID); returns its file."""
    message = BytesParser(policy=policy.default).parsebytes(content, headersonly=True)
    identity = str(message.get("Message-ID") or hashlib.sha256(content).hexdigest())
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    existing = next(directory.glob(f"*-{digest}.eml"), None)
    if existing is not None:
        return existing
    path = directory / f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S%f')}-{digest}.eml"
    create_private(path, make_parents=False)
    path.write_bytes(content)
    return path


def catcher(directory: Path, port: int, host: str = "127.0.0.1") -> Controller:
    """A catcher to `start()` and `stop()`; it listens on loopback only."""
    return Controller(KeepInDirectory(directory), hostname=host, port=port)


@dataclass(frozen=True)
class StoredMail:
    number: int
    path: Path
    message: EmailMessage

    def summary(self) -> dict[str, str]:
        return {"number": str(self.number), "file": self.path.name, "date": str(self.message["Date"] or ""),
                "to": str(self.message["To"] or ""), "subject": str(self.message["Subject"] or ""),
                "message_id": str(self.message["Message-ID"] or "")}  # fmt: skip

    def body(self, subtype: str = "plain") -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""


def stored(directory: Path) -> list[StoredMail]:
    """The caught messages, oldest first, numbered from 1."""
    paths = sorted(directory.glob("*.eml")) if directory.is_dir() else []
    parser = BytesParser(policy=policy.default)
    return [StoredMail(n, path, parser.parsebytes(path.read_bytes())) for n, path in enumerate(paths, start=1)]  # type: ignore[misc]
