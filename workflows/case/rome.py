"""Jobs as France Travail's ROME names them: a small built-in list, or the platform's own file.

A project names its target jobs by ROME code; documents and the case file print the title. The
built-in list (rome.csv, `code,title`) covers the jobs people in the dispositif most often aim
at; a platform loads the whole repertoire with EA_ROME_FILE (same columns). A code missing from
the list is kept and printed as it is: the list names jobs, it does not forbid any.
"""

from __future__ import annotations

import csv
import os
from functools import cache
from pathlib import Path

BUILT_IN = Path(__file__).with_name("rome.csv")


def load(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8", newline="") as file:
        return {row["code"].strip().upper(): row["title"].strip() for row in csv.DictReader(file)}


@cache
def titles() -> dict[str, str]:
    """Code → title, from EA_ROME_FILE when set, else the built-in list (read once per process)."""
    configured = os.environ.get("EA_ROME_FILE")
    return load(Path(configured) if configured else BUILT_IN)


def job(code: str) -> str:
    """« M1607 — Secrétariat », or the code alone when the list does not know it."""
    title = titles().get(code)
    return f"{code} — {title}" if title else code
