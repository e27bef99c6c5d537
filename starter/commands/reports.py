"""`ea report`: the funders' activity report, in the terminal, as JSON or CSV, or as a printable
HTML document; and the reports the six-monthly schedule stored."""

from __future__ import annotations

import csv
import sys
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import click

from activities.documents import reporting
from activities.documents.rendering import Renderer
from activities.registry.migrate import migrated_engine
from activities.registry.report import SERVICES, ActivityReport
from starter import output
from starter.exits import EXIT_NOT_FOUND, EXIT_USAGE, build, fail
from starter.options import ISO_DATE, as_date, deliver, json_option, require_file_for_pdf
from workflows.contracts import Period


@click.group()
def report() -> None:
    """Funders' reports (State, Agefiph, FIPHFP): file active, entries, exits, services, outcomes.

    \b
    Example:
      ea report activity --from 2026-01-01 --to 2026-06-30 --structure struct-33
      ea report activity --from 2026-01-01 --to 2026-06-30 --html rapport-S1-2026.html
    """


@report.command("activity")
@click.option("--from", "start", type=ISO_DATE, callback=as_date, required=True, help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", type=ISO_DATE, callback=as_date, required=True, help="Last day of the period, included.")
@click.option("--structure", "structure_id", help="Only this structure's cases (default: all).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (section, figure, value) instead of a table.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the printable HTML report, with its charts, to this file.")  # fmt: skip
@click.option("--save", is_flag=True, help="Also store it in the registry, as the schedule does (`ea report list`).")
@json_option
def report_activity(start: date, end: date, structure_id: str | None, as_csv: bool, html_file: Path | None, save: bool,
                    as_json: bool) -> None:  # fmt: skip
    """The activity report of a period, computed from the registry.

    \b
    Example:
      ea report activity --from 2026-01-01 --to 2026-06-30 --csv > activite.csv
    """
    if as_csv and as_json:
        fail("choose --csv or --json, not both", EXIT_USAGE)
    period = build(Period, start=start, end=end)
    engine = migrated_engine()
    with output.Console(stderr=True).status("computing the report…") if not (as_json or as_csv) else nullcontext():
        figures, html = reporting.produce(engine, period, structure_id)
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
        writer.writerow(("section", "figure", "value"))
        writer.writerows(figure_rows(figures))
    else:
        _print_table(figures)


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
        content = ActivityReport.model_validate(stored.figures).model_dump_json(indent=2)
    else:
        content = stored.html
    deliver(content, output)


def figure_rows(report: ActivityReport) -> list[tuple[str, str, Any]]:
    """Every figure as (section, figure, value): the CSV, and the terminal's table."""
    rows: list[tuple[str, str, Any]] = [
        ("caseload", "file_active", report.file_active),
        ("caseload", "active_at_end", report.active_at_end),
        ("entries", "total", report.entries),
        *[("entries_by_route", k, v) for k, v in report.entries_by_route.items()],
        *[("entries_by_situation", k, v) for k, v in report.entries_by_situation.items()],
        *[("entries_by_asker", k, v) for k, v in report.entries_by_asker.items()],
        ("entries", "derogations", report.derogations),
        ("exits", "total", report.exits),
        *[("exits_by_reason", k, v) for k, v in report.exits_by_reason.items()],
        ("support", "exits_median_days", report.support_of_exits.median_days),
        ("support", "exits_mean_days", report.support_of_exits.mean_days),
        ("support", "active_median_days", report.support_of_active.median_days),
        *[("services", k, report.services[k]) for k in SERVICES],
        *[("contacts", k, v) for k, v in report.contacts_by_kind.items()],
        *[("intensity_at_end", k, v) for k, v in report.intensity_at_end.items()],
    ]
    for line in report.employer_requests:
        rows += [(f"employer_requests:{line.kind}", name, getattr(line, name))
                 for name in ("received", "answered", "answered_in_time", "median_response_hours")]  # fmt: skip
    rows.append(("person_requests", "received", report.person_requests))
    rows += [("age_bands", k, v) for k, v in report.age_bands.items()]
    rows += [("situations", k, v) for k, v in report.situations.items()]
    o = report.outcomes
    rows += [
        ("outcomes", "job_seekers", o.job_seekers),
        ("outcomes", "employed_any_time", o.employed_any_time),
        ("outcomes", "employed_rate", o.employed_rate),
        ("outcomes", "days_to_first_job_median", o.days_to_first_job.median_days),
        ("outcomes", "longest_tenure_median_days", o.longest_tenure.median_days),
        ("outcomes", "mean_weekly_hours", o.mean_weekly_hours),
        ("outcomes", "weeks_worked", o.weeks_worked),
        ("outcomes", "first_employer_contact_eligible", o.first_employer_contact_eligible),
        ("outcomes", "first_employer_contact_in_month", o.first_employer_contact_in_month),
    ]
    rows += [("caseload_over_time", day.isoformat(), count) for day, count in report.caseload_over_time]
    rows += [("phases_at_end", k, v) for k, v in report.phases_at_end.items()]
    return rows


def _print_table(report: ActivityReport) -> None:
    scope = f"structure {report.structure_id}" if report.structure_id else "all structures"
    running = f" · still running: counted up to {report.produced_at:%Y-%m-%d %H:%M} UTC" if report.running else ""
    table = output.Table(title=f"Activity {report.period.start} → {report.period.end} · {scope}{running}", title_justify="left")
    for column in ("section", "figure", "value"):
        table.add_column(column, justify="right" if column == "value" else "left")
    previous = None
    for section, name, value in figure_rows(report):
        table.add_row(section if section != previous else "", name, "—" if value is None else str(value))
        previous = section
    output.console.print(table)


COMMANDS: list[click.Command] = [report]
