"""`ea report`: the funders' activity report and the fidelity self-assessment, in the terminal, as
JSON or CSV (each figure with its definition), or as a printable HTML document; and the reports the
six-monthly schedule stored."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import click

from activities.documents import reporting
from activities.documents.rendering import Renderer
from activities.registry.migrate import migrated_engine
from activities.registry.fidelity import FidelityReport
from activities.registry.report import SERVICES, ActivityReport, GroupFigures, Outcomes
from starter import output
from starter.exits import EXIT_NOT_FOUND, EXIT_USAGE, build, fail
from starter.options import ISO_DATE, as_date, deliver, json_option, require_file_for_pdf
from workflows.contracts import Period


@click.group()
def report() -> None:
    """Funders' reports (State, Agefiph, FIPHFP) and the fidelity self-assessment.

    \b
    Example:
      ea report activity --from 2026-01-01 --to 2026-06-30 --structure struct-33
      ea report activity --from 2026-01-01 --to 2026-06-30 --html rapport-S1-2026.html
      ea report fidelity --from 2026-01-01 --to 2026-06-30
    """


def period_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options every report takes: its period and scope, and where it goes."""
    for option in reversed([
        click.option("--from", "start", type=ISO_DATE, callback=as_date, required=True, help="First day of the period (YYYY-MM-DD)."),
        click.option("--to", "end", type=ISO_DATE, callback=as_date, required=True, help="Last day of the period, included."),
        click.option("--structure", "structure_id", help="Only this structure's cases (default: all)."),
        click.option("--csv", "as_csv", is_flag=True, help="Print CSV, each figure with its definition, instead of a table."),
        click.option("--html", "html_file", type=click.Path(dir_okay=False, writable=True, path_type=Path),
                     help="Write the printable HTML report, with its charts, to this file."),
        click.option("--save", is_flag=True, help="Also store it in the registry, as the schedule does (`ea report list`)."),
        json_option,
    ]):  # fmt: skip
        command = option(command)
    return command


def run_report(kind: str, start: date, end: date, structure_id: str | None, as_csv: bool, html_file: Path | None, save: bool,
               as_json: bool) -> None:  # fmt: skip
    """Compute, render, store and print one report, the same way for every kind."""
    if as_csv and as_json:
        fail("choose --csv or --json, not both", EXIT_USAGE)
    period = build(Period, start=start, end=end)
    produce, rows, header = REPORTS[kind]
    engine = migrated_engine()
    with output.Console(stderr=True).status("computing the report…") if not (as_json or as_csv) else nullcontext():
        figures, html = produce(engine, period, structure_id)
        saved = reporting.store(engine, figures, html) if save else None
    engine.dispose()
    if html_file is not None:
        html_file.write_text(html, encoding="utf-8")
        click.echo(f"wrote {html_file}", err=True)
    if saved is not None:
        click.echo(f"stored as report {saved}", err=True)
    if as_json:
        output.emit_json(figures)
    elif as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows(figures))
    else:
        _print_table(kind, figures, header[:3], [row[:3] for row in rows(figures)])


@report.command("activity")
@period_options
def report_activity(start: date, end: date, structure_id: str | None, as_csv: bool, html_file: Path | None, save: bool,
                    as_json: bool) -> None:  # fmt: skip
    """The activity report of a period, computed from the registry.

    \b
    Example:
      ea report activity --from 2026-01-01 --to 2026-06-30 --csv > activite.csv
    """
    run_report("activity", start, end, structure_id, as_csv, html_file, save, as_json)


@report.command("fidelity")
@period_options
def report_fidelity(start: date, end: date, structure_id: str | None, as_csv: bool, html_file: Path | None, save: bool,
                    as_json: bool) -> None:  # fmt: skip
    """The fidelity self-assessment of a period: each item's score, evidence (case ids) and rule.

    \b
    Example:
      ea report fidelity --from 2026-01-01 --to 2026-06-30 --structure struct-33
      ea report fidelity --from 2026-01-01 --to 2026-06-30 --html fidelite-S1-2026.html
    """
    run_report("fidelity", start, end, structure_id, as_csv, html_file, save, as_json)


@report.command("list")
@json_option
def report_list(as_json: bool) -> None:
    """The reports stored by the six-monthly schedule (or by --save), newest period first.

    \b
    Example:
      ea report list
    """
    engine = migrated_engine()
    rows = [{"id": r.id, "kind": r.kind, "scope": r.scope, "from": r.period_from.isoformat(), "to": r.period_to.isoformat(),
             "created_at": r.created_at.isoformat()} for r in reporting.stored(engine)]  # fmt: skip
    engine.dispose()
    if as_json:
        output.emit_json({"reports": rows})
        return
    table = output.Table(title=f"{len(rows)} report(s)", title_justify="left")
    for column in ("id", "kind", "scope", "from", "to", "created"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["id"]), row["kind"], row["scope"], row["from"], row["to"], row["created_at"][:16])
    output.console.print(table)


@report.command("export")
@click.argument("report_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["html", "json", "pdf"]), default="html", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of printing (required for pdf).")  # fmt: skip
def report_export(report_id: int, fmt: str, output: Path | None) -> None:
    """Print a stored report, or write it to a file.

    \b
    Example:
      ea report export 3 --format pdf --output rapport-S1-2026.pdf
    """
    engine = migrated_engine()
    stored = reporting.stored_one(engine, report_id)
    engine.dispose()
    if stored is None:
        fail(f"no report {report_id}; `ea report list` lists them", EXIT_NOT_FOUND)
    require_file_for_pdf(fmt, output)
    if fmt == "pdf":
        content: str | bytes = Renderer.pdf(stored.html)
    elif fmt == "json":
        content = reporting.KINDS[stored.kind].model_validate(stored.figures).model_dump_json(indent=2)
    else:
        content = stored.html
    deliver(content, output)


Row = tuple[str, str, Any, str]
"""section, figure, value, definition"""


def figure_rows(report: ActivityReport) -> list[Row]:
    """Every figure as (section, figure, value, definition): the CSV, and the terminal's table."""

    def of(name: str, section: str, values: dict[str, Any]) -> list[Row]:
        return [(section, key, value, ActivityReport.model_fields[name].description or "") for key, value in values.items()]

    def outcome(name: str, value: Any) -> Row:
        return ("outcomes", name, value, Outcomes.model_fields[name.removesuffix("_median").removesuffix("_median_days")].description or "")

    rows = [
        *of("file_active", "caseload", {"file_active": report.file_active}),
        *of("active_at_end", "caseload", {"active_at_end": report.active_at_end}),
        *of("entries", "entries", {"total": report.entries}),
        *of("entries_by_route", "entries_by_route", report.entries_by_route),
        *of("entries_by_situation", "entries_by_situation", report.entries_by_situation),
        *of("entries_by_asker", "entries_by_asker", report.entries_by_asker),
        *of("derogations", "entries", {"derogations": report.derogations}),
        *of("exits", "exits", {"total": report.exits}),
        *of("exits_by_reason", "exits_by_reason", report.exits_by_reason),
        *of("support_of_exits", "support", {"exits_median_days": report.support_of_exits.median_days,
                                            "exits_mean_days": report.support_of_exits.mean_days}),
        *of("support_of_active", "support", {"active_median_days": report.support_of_active.median_days}),
        *of("services", "services", {k: report.services[k] for k in SERVICES}),
        *of("acts", "acts", report.acts),
        *of("contacts_by_kind", "contacts", report.contacts_by_kind),
        *of("intensity_at_end", "intensity_at_end", report.intensity_at_end),
    ]  # fmt: skip
    for line in report.employer_requests:
        rows += of("employer_requests", f"employer_requests:{line.kind}",
                   {name: getattr(line, name) for name in ("received", "answered", "answered_in_time", "median_response_hours")})  # fmt: skip
    rows += of("person_requests", "person_requests", {"received": report.person_requests})
    rows += of("age_bands", "age_bands", report.age_bands)
    rows += of("situations", "situations", report.situations)
    o = report.outcomes
    rows += [outcome(name, getattr(o, name)) for name in ("job_seekers", "employed_any_time", "employed_rate")]
    rows += [outcome("days_to_first_job_median", o.days_to_first_job.median_days), outcome("longest_tenure_median_days", o.longest_tenure.median_days)]
    rows += [outcome(name, getattr(o, name)) for name in ("mean_weekly_hours", "weeks_worked", "first_employer_contact_eligible",
                                                           "first_employer_contact_in_month", "entered_employed", "employed_at_end",
                                                           "employed_at_end_rate", "job_ended")]  # fmt: skip
    rows += of("caseload_over_time", "caseload_over_time", {day.isoformat(): count for day, count in report.caseload_over_time})
    rows += of("phases_at_end", "phases_at_end", report.phases_at_end)
    for split in ("by_funder", "by_route", "by_origin"):
        for key, figures in getattr(report, split).items():
            rows += _group_rows(f"{split}:{key}", figures)
    return rows


def _group_rows(section: str, figures: GroupFigures) -> list[Row]:
    fields = type(figures).model_fields
    rows: list[Row] = []
    for name, value in figures:
        if isinstance(value, dict):
            rows += [(section, f"{name}:{key}", count, fields[name].description or "") for key, count in value.items()]
        else:
            rows.append((section, name, value, fields[name].description or ""))
    return rows


def fidelity_rows(report: FidelityReport) -> list[Row]:
    """Each item as (item, figure, value, rule): score, counts, monthly scores, detail and evidence (ids only)."""
    rows: list[Row] = []
    for item in report.items:
        rows += [(item.key, name, value, item.rule) for name, value in (("score", item.score), ("met", item.met), ("counted", item.counted),
                                                                        ("unit", item.unit))]  # fmt: skip
        rows += [(item.key, name, value, item.rule) for name, value in item.detail.items()]
        rows += [(item.key, f"month:{day.isoformat()}", score, item.rule) for day, score in item.monthly]
        rows += [(item.key, "evidence_ids", " ".join(item.ids), item.rule), (item.key, "short_ids", " ".join(item.short), item.rule)]
    rows += [(item.key, "not_measurable", None, item.needs) for item in report.not_measurable]
    return rows


REPORTS: dict[str, tuple[Callable[..., Any], Callable[[Any], list[Row]], tuple[str, ...]]] = {
    "activity": (reporting.produce, figure_rows, ("section", "figure", "value", "definition")),
    "fidelity": (reporting.produce_fidelity, fidelity_rows, ("item", "figure", "value", "rule")),
}
"""Each kind: how it is produced, its rows, and the CSV's header."""


def _print_table(kind: str, report: ActivityReport | FidelityReport, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    scope = f"structure {report.structure_id}" if report.structure_id else "all structures"
    running = f" · still running: counted up to {report.produced_at:%Y-%m-%d %H:%M} UTC" if report.running else ""
    title = "Activity" if kind == "activity" else "Fidelity"
    table = output.Table(title=f"{title} {report.period.start} → {report.period.end} · {scope}{running}", title_justify="left")
    for column in header:
        table.add_column(column, justify="right" if column == "value" else "left", overflow="fold")
    previous = None
    for section, name, value in rows:
        if name in ("evidence_ids", "short_ids") and value:
            value = f"{len(value.split())} ids (--csv, --json list them)"
        table.add_row(section if section != previous else "", name, "—" if value is None else str(value))
        previous = section
    output.console.print(table)


COMMANDS: list[click.Command] = [report]
