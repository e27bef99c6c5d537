"""`ea case file` and `ea case scan`: reading the case file a job coach keeps, from the registry."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from activities.registry import evidence_files
from activities.registry.case_file import CaseUnknown, case_file
from activities.registry.migrate import migrated_engine
from starter import output
from starter.exits import EXIT_NOT_FOUND, fail
from starter.options import case_argument, json_option, require_actor
from workflows.case import rome
from workflows.wording import LABELS_FR


@click.group("case")
def case_group() -> None:
    """Read a case's file: evaluation, project, objectives, adaptations, trainings, evidence, partners.

    \b
    Example:
      ea --actor referent:ref-12 case file C1A2B3
    """


@case_group.command("file")
@case_argument
@json_option
def file_command(case_id: str, as_json: bool) -> None:
    """Print the whole case file (health information included: the view is journaled with who read it).

    \b
    Example:
      ea --actor referent:ref-12 case file C1A2B3 --json
    """
    reader, registry = require_actor(), migrated_engine()
    try:
        file = case_file(registry, case_id, reader)
    except CaseUnknown as unknown:
        fail(str(unknown), EXIT_NOT_FOUND)
    finally:
        registry.dispose()
    if as_json:
        output.emit_json(file)
        return
    click.echo(f"Case {file['case_id']} · {file['person'] or 'person not in the registry'} · {LABELS_FR['phase'][file['phase']]}")
    for title, lines in _sections(file):
        click.echo(f"\n{title}")
        for line in lines or ["—"]:
            click.echo(f"  {line}")


def _sections(file: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The file as a person reads it: one section per part, one line per record."""
    evaluations = [
        f"{e['completed_on']} by {e['author'] or '?'}" + "".join(f"\n    {name}: {e[name]}" for name in
                                                              ("capacities", "needs", "constraints", "employer_needs") if e[name])
        + (f"\n    tools: {', '.join(e['tools'])}" if e["tools"] else "")
        for e in file["evaluations"]
    ]  # fmt: skip
    projects = [
        f"{p['agreed_on']}: " + "; ".join(filter(None, [
            ", ".join(map(rome.job, (p["content"] or {}).get("target_jobs", []))),
            ", ".join((p["content"] or {}).get("sectors", [])),
            ", ".join(f"{name} {value}" for name, value in ((p["content"] or {}).get("conditions") or {}).items() if value),
            ", ".join(f"{s['what']} by {s['by']}" for s in (p["content"] or {}).get("steps", [])),
        ]))
        for p in file["projects"]
    ]  # fmt: skip
    return [
        ("Evidence", [f"{e['kind']}: {e['valid_from']} → {e['valid_until'] or 'for life'}"
                      + (f" · ref {e['reference']}" if e["reference"] else "") + (" · scan " + e["file_id"] if e["file"] else "")
                      + (" · expiry warned" if e["warned_at"] else "") for e in file["evidence"]]),
        ("Evaluations", evaluations),
        ("Professional project", projects),
        ("Support plan", [f"{o['title']}: {o['status']}" + (f", due {o['due_on']}" if o["due_on"] else "")
                          + (f", reviewed {o['reviewed_on']}" if o["reviewed_on"] else "") for o in file["objectives"]]),
        ("Adaptations", [f"{a['adaptation_id']} {a['description']}: {a['stage']} (proposed by {a['proposed_by']}, employer "
                         f"{a['employer_id']}{', funded by ' + a['funder'] if a['funder'] else ''}"
                         f"{', amendment ' + str(a['amendment']) if a['amendment'] else ''})"
                         + (f"\n    médecin du travail: {a['opinion']}" if a["opinion"] else "") for a in file["adaptations"]]),
        ("Trainings", [f"{t['title']} ({t['kind']}): {t['status']} {t['on']}" + (f", funded by {t['funder']}" if t["funder"] else "")
                       for t in file["trainings"]]),
        ("Reviews", [f"{r['held_on'] or 'due'}" + (f": {r['notes']}" if r["notes"] else "") for r in file["reviews"]]),
        ("Partners", [f"{p['partner_id']} {p['name'] or '(not in the directory)'} ({p['kind'] or '?'})" for p in file["partners"]]
         + [f"{r['request_id']} referred to {r['partner_id']}" for r in file["referrals"]]),
    ]  # fmt: skip


@case_group.command("scan")
@case_argument
@click.argument("file_id")
@click.option("--output", "-o", "target", type=click.Path(dir_okay=False, path_type=Path), help="Where to write it (default: stdout).")
def scan_command(case_id: str, file_id: str, target: Path | None) -> None:
    """Write out the scan of a piece of evidence, decrypted (a PDF, a PNG or a JPEG).

    \b
    Example:
      ea case scan C1A2B3 F0a1b2c3d4e5f6a7b8c9d -o rqth.pdf
    """
    require_actor()
    registry = migrated_engine()
    found = evidence_files.read(registry, file_id)
    registry.dispose()
    if found is None or found[0].case_id != case_id:
        fail(f"no scan {file_id} on case {case_id}", EXIT_NOT_FOUND)
    if target is None:
        sys.stdout.buffer.write(found[1])
    else:
        target.write_bytes(found[1])
        click.echo(f"{target}: {found[0].content_type}, {found[0].size} bytes")


COMMANDS: list[click.Command] = [case_group]
