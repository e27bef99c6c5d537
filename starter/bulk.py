"""Bulk import: open many cases from a CSV, as a structure migrating from spreadsheets does.

Idempotent: each row names its case id, so running the same file again opens nothing twice
(a case already open is reported as such, not as an error). Every row is checked on its own,
its ids against the directory before anything is written; the report says which line and which
field failed.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from temporalio.client import Client

from activities.registry.caseload import CaseloadFull, capacity_from_env
from activities.registry.directory import UnknownReference
from activities.registry.people import BeneficiaryIdentity, DuplicateBeneficiary, register_beneficiary
from starter.cases import CaseExists, StepRefused, open_case_with_seat, refuse_opening
from starter.exits import validation_message
from workflows.case.model import Actor, OpenCase

REQUIRED_COLUMNS = ("case_id", "structure_id", "birth_date", "first_name", "last_name")
OPTIONAL_COLUMNS = ("situation", "employer_id", "referent_id", "asked_by", "email", "phone", "address", "rqth_reference", "esat_reference")
IDENTITY = ("first_name", "last_name", "email", "phone", "address", "rqth_reference", "esat_reference")
CONCURRENCY = 8
MAX_SHOWN_ID = 64
"""A case id longer than any valid one is cut in the report: it is the row's error, not its name."""


class MalformedFile(Exception):
    """The file as a whole cannot be read (encoding, header); no row was imported."""


@dataclass(frozen=True)
class Row:
    """One record of the file: the line it starts on (as an editor numbers it), its fields, or
    why it could not even be split into fields."""

    line: int
    fields: dict[str, str]
    problem: str = ""


@dataclass(frozen=True)
class RowResult:
    line: int
    case_id: str
    outcome: str
    """opened, already_open or failed."""
    message: str = ""


def read_rows(path: Path) -> list[Row]:
    """Every data record with its true line number; only an unreadable file or header is refused
    whole. A record the csv module cannot split, or with more values than columns, is a failed
    row: the others are imported."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedFile(f"{path}: not UTF-8 text (byte {error.start}); save the file as CSV UTF-8") from None
    # The whole text is in memory already: a long field is the row's validation to refuse, not the parser's.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    lines = io.StringIO(text, newline="")
    header_line = lines.readline()
    delimiter = max(",;\t", key=header_line.count)
    try:
        header = [name.strip() for name in next(csv.reader([header_line], delimiter=delimiter), [])]
    except csv.Error as error:
        raise MalformedFile(f"{path}: line 1: {error}") from None
    _check_header(path, header)
    return list(_records(csv.reader(lines, delimiter=delimiter), header))


def _check_header(path: Path, header: list[str]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise MalformedFile(f"{path}: line 1 lacks the column(s) {', '.join(missing)}")
    unknown = [column for column in header if column not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise MalformedFile(f"{path}: line 1 has unknown column(s) {', '.join(unknown)}")


def _records(reader: Iterator[list[str]], header: list[str]) -> Iterator[Row]:
    """The reader counts the lines it consumed after the header: a record starts one line after
    the previous one ended (a quoted field may span lines)."""
    start = 2
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Row(start, {}, f"cannot be read as CSV ({error})")
        else:
            extra = [value for value in values[len(header):] if value.strip()]
            if extra:
                yield Row(start, dict(zip(header, values)), f"{len(values)} values for {len(header)} columns")
            elif any(value.strip() for value in values):
                yield Row(start, dict(zip(header, values)))
        start = reader.line_num + 2  # type: ignore[attr-defined]


def parse_row(row: Row, actor: Actor | None) -> tuple[BeneficiaryIdentity, OpenCase] | RowResult:
    """The person and the opening a row asks for, or why it is refused; nothing is written."""
    fields: dict[str, Any] = {name: value.strip() for name, value in row.fields.items() if value and value.strip()}
    case_id = fields.get("case_id", "?")[:MAX_SHOWN_ID]
    if row.problem:
        return RowResult(row.line, case_id, "failed", row.problem)
    try:
        identity = BeneficiaryIdentity(**{k: v for k, v in fields.items() if k in IDENTITY},
                                       structure_id=fields.get("structure_id"), birth_date=fields.get("birth_date"),
                                       situation=fields.get("situation"))  # fmt: skip
        opening = OpenCase(**{k: v for k, v in fields.items() if k not in IDENTITY}, actor=actor)
    except ValidationError as error:
        return RowResult(row.line, case_id, "failed", validation_message(error).removeprefix("invalid input: "))
    return identity, opening


async def import_rows(
    client: Client,
    task_queue: str,
    registry: Engine,
    rows: list[Row],
    actor: Actor | None,
    advance: Callable[[], None] = lambda: None,
) -> list[RowResult]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(row: Row) -> RowResult:
        parsed = parse_row(row, actor)
        if isinstance(parsed, RowResult):
            result = parsed
        else:
            async with gate:
                result = await _import_row(client, task_queue, registry, row.line, *parsed)
        advance()
        return result

    return list(await asyncio.gather(*(one(row) for row in rows)))


async def _import_row(
    client: Client, task_queue: str, registry: Engine, line: int, identity: BeneficiaryIdentity, opening: OpenCase
) -> RowResult:
    case_id = opening.case_id
    try:
        await asyncio.to_thread(refuse_opening, registry, opening, date.today())
    except (StepRefused, UnknownReference) as refused:
        return RowResult(line, case_id, "failed", str(refused))
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
