"""Bulk import: open many cases from a CSV, as a structure migrating from spreadsheets does.

Idempotent: each row names its case id, so running the same file again opens nothing twice
(a case already open is reported as such, not as an error). Every row is checked on its own;
the report says which line and which field failed.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from temporalio.client import Client

from activities.registry.caseload import CaseloadFull, capacity_from_env
from activities.registry.people import BeneficiaryIdentity, DuplicateBeneficiary, register_beneficiary
from starter.cases import CaseExists, open_case_with_seat
from workflows.case.model import Actor, OpenCase

REQUIRED_COLUMNS = ("case_id", "structure_id", "birth_date", "first_name", "last_name")
OPTIONAL_COLUMNS = ("situation", "employer_id", "referent_id", "asked_by", "email", "phone", "address", "rqth_reference", "esat_reference")
IDENTITY = ("first_name", "last_name", "email", "phone", "address", "rqth_reference", "esat_reference")
CONCURRENCY = 8


class MalformedFile(Exception):
    """The file as a whole cannot be read (encoding, header); no row was imported."""


@dataclass(frozen=True)
class RowResult:
    line: int
    case_id: str
    outcome: str
    """opened, already_open or failed."""
    message: str = ""


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; a header missing a required column is refused."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedFile(f"{path}: not UTF-8 text (byte {error.start}); save the file as CSV UTF-8") from None
    reader = csv.DictReader(io.StringIO(text), dialect=_dialect(text[:4096]))
    try:
        return _rows(path, reader)
    except csv.Error as error:
        raise MalformedFile(f"{path}: line {reader.line_num}: {error}") from None


def _dialect(sample: str) -> type[csv.Dialect]:
    """Comma, semicolon or tab, whichever the sample uses; a comma when it says nothing."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _rows(path: Path, reader: csv.DictReader[str]) -> list[tuple[int, dict[str, str]]]:
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise MalformedFile(f"{path}: line 1 lacks the column(s) {', '.join(missing)}")
    unknown = [column for column in header if column not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise MalformedFile(f"{path}: line 1 has unknown column(s) {', '.join(unknown)}")
    reader.fieldnames = header
    return [(reader.line_num, row) for row in reader]


async def import_rows(
    client: Client,
    task_queue: str,
    registry: Engine,
    rows: list[tuple[int, dict[str, str]]],
    actor: Actor | None,
    advance: Callable[[], None] = lambda: None,
) -> list[RowResult]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(line: int, row: dict[str, str]) -> RowResult:
        async with gate:
            result = await _import_row(client, task_queue, registry, line, row, actor)
        advance()
        return result

    return list(await asyncio.gather(*(one(line, row) for line, row in rows)))


async def _import_row(
    client: Client, task_queue: str, registry: Engine, line: int, row: dict[str, str], actor: Actor | None
) -> RowResult:
    fields: dict[str, Any] = {name: value.strip() for name, value in row.items() if name and value and value.strip()}
    case_id = fields.get("case_id", "?")
    try:
        identity = BeneficiaryIdentity(**{k: v for k, v in fields.items() if k in IDENTITY},
                                       structure_id=fields.get("structure_id"), birth_date=fields.get("birth_date"),
                                       situation=fields.get("situation"))  # fmt: skip
        opening = OpenCase(**{k: v for k, v in fields.items() if k not in IDENTITY}, actor=actor)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in error.errors())
        return RowResult(line, case_id, "failed", problems)
    try:
        beneficiary_id = await asyncio.to_thread(register_beneficiary, registry, identity)
    except DuplicateBeneficiary as duplicate:
        if duplicate.case_ids and case_id not in duplicate.case_ids:
            return RowResult(line, case_id, "failed", str(duplicate))
        beneficiary_id = duplicate.beneficiary_id
    try:
        await open_case_with_seat(client, task_queue, registry, opening.model_copy(update={"beneficiary_id": beneficiary_id}),
                                  None, capacity_from_env())  # fmt: skip
    except CaseExists:
        return RowResult(line, case_id, "already_open")
    except CaseloadFull as full:
        return RowResult(line, case_id, "failed", str(full))
    return RowResult(line, case_id, "opened")
