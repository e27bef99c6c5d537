"""`ea import`: a bad row never stops the good ones. Whatever a row holds (an oversized field, a
bad date, too many values, a NUL byte) it fails alone, reported at the line an editor shows it
on, even after fields that span lines; the good rows are opened and the exit code is 6."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starter.bulk import RowResult, parse_row, read_rows
from starter.exits import EXIT_SOME_ROWS_FAILED
from starter.scripted import new_case_id
from tests.cli_runner import Ea
from workflows.case.model import Actor

HEADER = ["case_id", "structure_id", "birth_date", "first_name", "last_name", "address"]
ACTOR = Actor.parse("coordinator:coord-import")


def good(index: int, address: str = "8 rue Pasteur") -> list[str]:
    return [f"IMP-{index}", "struct-75", "1990-05-17", "Élodie", f"Dupont{index}", address]


BAD_ROWS = {
    "oversized": st.tuples(st.sampled_from([3, 4, 5]), st.integers(101, 300_000)).map(
        lambda spec: (HEADER[spec[0]], lambda row: row.__setitem__(spec[0], "x" * (spec[1] * (5 if spec[0] == 5 else 1))))),
    "bad_date": st.just(("birth_date", lambda row: row.__setitem__(2, "17/05/1990"))),
    "extra_values": st.just(("values", lambda row: row.append("surplus"))),
    "nul_byte": st.just(("first_name", lambda row: row.__setitem__(3, "Élo\x00die"))),
}
ROW = st.one_of(st.just(None), st.just("multiline"), *BAD_ROWS.values())


def write(rows: list[list[str]], delimiter: str, newline: str) -> tuple[str, list[int]]:
    """The CSV text, and the line each data row starts on."""
    out, starts = io.StringIO(), []
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(HEADER)
    for row in rows:
        starts.append(out.getvalue().count("\n") + 1)
        writer.writerow(row)
    return out.getvalue(), starts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(ROW, min_size=1, max_size=12), delimiter=st.sampled_from([",", ";", "\t"]),
       newline=st.sampled_from(["\n", "\r\n"]))  # fmt: skip
def test_each_bad_row_fails_alone_at_its_true_line(tmp_path: Path, kinds: list, delimiter: str, newline: str) -> None:
    rows, expected = [], {}
    for index, kind in enumerate(kinds):
        row = good(index, address="Bâtiment B\nescalier 3" if kind == "multiline" else "8 rue Pasteur")
        if isinstance(kind, tuple):
            field, spoil = kind
            spoil(row)
            expected[index] = field
        rows.append(row)
    text, starts = write(rows, delimiter, newline)
    path = tmp_path / "cases.csv"
    path.write_text(text, encoding="utf-8", newline="")

    read = read_rows(path)
    outcomes = {row.line: parse_row(row, ACTOR) for row in read}
    assert sorted(outcomes) == starts, "one record per row, each at the line it starts on"
    for index, line in enumerate(starts):
        outcome = outcomes[line]
        if index in expected:
            assert isinstance(outcome, RowResult) and outcome.outcome == "failed", (index, outcome)
            assert expected[index] in outcome.message and len(outcome.message) < 300, outcome.message
        else:
            assert not isinstance(outcome, RowResult), outcome
            assert outcome[1].case_id == f"IMP-{index}"


async def test_an_oversized_field_stops_only_its_row(cli: Ea, tmp_path: Path) -> None:
    tag = new_case_id()
    rows = [good(1), good(2, address="Bâtiment B\nescalier 3"), good(3), good(4)]
    rows[2][4] = "Z" * 200_000  # line 5: the multi-line address of the row before takes lines 3 and 4
    for row in rows:
        row[0] = f"{row[0]}-{tag}"
        row[4] = row[4] + tag if len(row[4]) < 100 else row[4]
    text, starts = write(rows, ";", "\n")
    assert starts == [2, 3, 5, 6]
    file = tmp_path / "cases.csv"
    file.write_text(text, encoding="utf-8")

    result = await cli("import", str(file), "--json")
    assert result.exit_code == EXIT_SOME_ROWS_FAILED, result.output
    report = json.loads(result.stdout)
    assert report["counts"] == {"opened": 3, "already_open": 0, "failed": 1}
    [failed] = [row for row in report["rows"] if row["outcome"] == "failed"]
    assert failed["line"] == 5 and failed["case_id"] == f"IMP-3-{tag}" and failed["message"].startswith("last_name")
    assert "ZZZZ" not in result.stdout
