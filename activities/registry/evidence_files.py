"""Scans of evidence (an RQTH, a CDAPH decision, an ESAT admission): checked, sealed, kept outside the database.

A scan is health data. Its type is read from its first bytes, never from its name; its size is
bounded; its bytes are sealed with the registry's keyring and written owner-only under
EA_EVIDENCE_DIR (default var/evidence); the database keeps only its id, type and size. The id
derives from the case and the content, so sending the same scan again stores nothing new.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from activities.registry.schema import EvidenceFile
from activities.registry.sealed import current_keyring, seal, sealed_with, unseal
from workflows.private_files import PRIVATE_DIR, var_dir, write_private

MAGIC: dict[bytes, str] = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
"""The content types a scan may have, by the bytes a file of that type starts with."""
MAX_BYTES = 5 * 1024 * 1024


class RejectedFile(Exception):
    """Not a scan we keep: the message says why (type or size)."""


def max_bytes() -> int:
    return int(os.environ.get("EA_EVIDENCE_MAX_BYTES") or MAX_BYTES)


def files_dir() -> Path:
    configured = os.environ.get("EA_EVIDENCE_DIR")
    path = Path(configured) if configured else var_dir() / "evidence"
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    return path


def content_type(data: bytes) -> str:
    """The scan's type from its content; RejectedFile for anything but a PDF, a PNG or a JPEG."""
    found = next((kind for magic, kind in MAGIC.items() if data.startswith(magic)), None)
    if found is None:
        raise RejectedFile("a scan is a PDF, a PNG or a JPEG (its content says otherwise, whatever its name)")
    return found


def store(engine: Engine, case_id: str, data: bytes) -> str:
    """Check, seal and keep a scan for a case; returns its id."""
    if len(data) > max_bytes():
        raise RejectedFile(f"a scan is at most {max_bytes() // 1024} KiB; this one is {len(data) // 1024} KiB")
    kind = content_type(data)
    file_id = "F" + hashlib.sha256(case_id.encode() + b"\0" + data).hexdigest()[:20]
    path = files_dir() / file_id
    if not path.exists():
        temporary = path.with_suffix(".part")
        write_private(temporary, "")
        temporary.write_bytes(seal(data))
        temporary.replace(path)  # a scan is whole or absent, never half-written
    with Session(engine) as session, session.begin():
        if session.get(EvidenceFile, file_id) is None:
            session.add(EvidenceFile(id=file_id, case_id=case_id, content_type=kind, size=len(data), uploaded_at=datetime.now(timezone.utc)))
    return file_id


def read(engine: Engine, file_id: str) -> tuple[EvidenceFile, bytes] | None:
    with Session(engine) as session:
        row = session.get(EvidenceFile, file_id)
        if row is None or not (files_dir() / file_id).exists():
            return None
        session.expunge(row)
    return row, unseal((files_dir() / file_id).read_bytes())


def erase(session: Session, case_ids: list[str]) -> None:
    """The scans of these cases leave the disk and the registry (erasure of the person)."""
    for file_id in session.scalars(select(EvidenceFile.id).where(EvidenceFile.case_id.in_(case_ids))):
        (files_dir() / file_id).unlink(missing_ok=True)
    session.execute(delete(EvidenceFile).where(EvidenceFile.case_id.in_(case_ids)))


def reseal_files() -> int:
    """Seal again with the current key every scan sealed with an older one; returns how many."""
    current = current_keyring().current
    changed = 0
    for path in sorted(files_dir().iterdir()):
        if path.suffix == ".part":
            continue
        sealed = path.read_bytes()
        if sealed_with(sealed) == current:
            continue
        write_private(path.with_suffix(".part"), "")
        path.with_suffix(".part").write_bytes(seal(unseal(sealed)))
        path.with_suffix(".part").replace(path)
        changed += 1
    return changed
