"""Files at rest that hold personal data or keys: the registry's SQLite files, the key file, the
codec token, in the var/ directory. Each is readable by its owner only (0600) from its first
byte, in a directory only its owner can enter (0700): on a shared machine, nobody else reads them.

Shared by the worker, `ea` and the codec server; no Temporal import.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database: each holds rows too."""


def var_dir() -> Path:
    """Where `make run` keeps its state (EA_VAR_DIR, default var/), created and closed to others."""
    path = Path(os.environ.get("EA_VAR_DIR", "var"))
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)
    return path


def create_private(path: Path, *, make_parents: bool = True) -> None:
    """Make `path` an empty owner-only file if it does not exist (its directory too), and close an
    existing one to others. Never chmods a directory it did not create: EA_KEYS_FILE may sit in /etc."""
    if make_parents:
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    os.chmod(path, PRIVATE_FILE)


def write_private(path: Path, text: str) -> None:
    """Write a secret: the file is 0600 before the first byte goes in."""
    create_private(path)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


def private_sqlite(database: str) -> None:
    """A SQLite database file, and the WAL and shared-memory files beside it, owner-only. SQLite
    gives its companions the database file's mode, so creating that one 0600 covers the rest."""
    path = Path(database)
    if database in ("", ":memory:") or database.startswith("file:") or not path.parent.is_dir():
        return  # a directory not there yet (a volume not mounted): SQLite's own error says so
    if path.exists():
        # chmod only: opening and closing the file would drop every POSIX lock this process's
        # other connections hold on it, and another process could then delete the live WAL.
        os.chmod(path, PRIVATE_FILE)
    else:
        create_private(path, make_parents=False)
    for suffix in SQLITE_COMPANIONS[1:]:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.chmod(companion, PRIVATE_FILE)
