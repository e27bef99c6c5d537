"""The activity report and the fidelity self-assessment as documents a director prints: figures,
each with its definition, and charts (SVG drawn by matplotlib, inline, so the file stands alone
and prints sharp)."""

from __future__ import annotations

import io
from collections.abc import Callable

from markupsafe import Markup

from activities.documents.rendering import jinja_environment
from activities.registry.fidelity import FidelityItem, FidelityReport
from activities.registry.report import SERVICES, ActivityReport, FunderFigures, Outcomes

TEMPLATE = "reports/activity.html.j2"
FIDELITY_TEMPLATE = "reports/fidelity.html.j2"
INK, ACCENT = "#1d3f72", "#8fa8d0"
EVIDENCE_SHOWN = 60
"""Ids printed under an item; the JSON and the CSV hold them all."""


def definitions() -> dict[str, str]:
    """Every figure's definition, from its field: the HTML prints each under its figure."""
    fields = {**FunderFigures.model_fields, **Outcomes.model_fields, **ActivityReport.model_fields}
    return {name: info.description for name, info in fields.items() if info.description}


def render_html(report: ActivityReport) -> str:
    charts = {"caseload": _caseload_chart(report), "phases": _phases_chart(report), "first_job": _first_job_chart(report)}
    return jinja_environment().get_template(TEMPLATE).render(report=report, charts=charts, services=SERVICES, define=definitions())


def render_fidelity_html(report: FidelityReport) -> str:
    charts = {item.key: _item_chart(item) for item in report.items}
    return jinja_environment().get_template(FIDELITY_TEMPLATE).render(report=report, charts=charts, shown=EVIDENCE_SHOWN)


def _item_chart(item: FidelityItem) -> Markup:
    def draw(axes: object) -> None:
        months = [day.strftime("%m/%Y") for day, _score in item.monthly]
        scores = [None if score is None else 100 * score for _day, score in item.monthly]
        axes.plot(months, [float("nan") if s is None else s for s in scores], marker="o", color=INK)  # type: ignore[attr-defined]
        axes.set_ylim(0, 105)  # type: ignore[attr-defined]
        axes.set_ylabel("% conforme")  # type: ignore[attr-defined]
        axes.set_title(f"{item.title}, mois par mois", loc="left", fontsize=10)  # type: ignore[attr-defined]

    return _svg(6.5, 2.2, draw)


def _svg(width: float, height: float, draw: Callable[..., None]) -> Markup:
    # The object API, not pyplot: no global state, safe in the worker's activity threads.
    from matplotlib import rcParams
    from matplotlib.figure import Figure

    rcParams["svg.hashsalt"] = "ea-report"  # the same report gives the same SVG
    rcParams["font.family"] = "DejaVu Sans"
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    draw(axes)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return Markup(svg[svg.index("<svg") :])  # noqa: S704 - matplotlib's own output, no user text but our labels


def _caseload_chart(report: ActivityReport) -> Markup:
    def draw(axes: object) -> None:
        days = [day.strftime("%m/%Y") for day, _count in report.caseload_over_time]
        counts = [count for _day, count in report.caseload_over_time]
        axes.plot(days, counts, marker="o", color=INK)  # type: ignore[attr-defined]
        axes.set_ylabel("dossiers ouverts")  # type: ignore[attr-defined]
        axes.set_ylim(bottom=0)  # type: ignore[attr-defined]
        axes.set_title("File active en fin de mois", loc="left", fontsize=10)  # type: ignore[attr-defined]

    return _svg(6.5, 2.6, draw)


def _phases_chart(report: ActivityReport) -> Markup:
    def draw(axes: object) -> None:
        phases = list(reversed(report.phases_at_end))
        axes.barh([PHASES_FR.get(p, p) for p in phases], [report.phases_at_end[p] for p in phases], color=INK)  # type: ignore[attr-defined]
        axes.set_xlabel("dossiers")  # type: ignore[attr-defined]
        axes.set_title("Répartition par étape en fin de période", loc="left", fontsize=10)  # type: ignore[attr-defined]

    return _svg(6.5, 2.8, draw)


def _first_job_chart(report: ActivityReport) -> Markup:
    def draw(axes: object) -> None:
        days = report.days_to_first_job
        axes.hist(days, bins=[30 * i for i in range(0, max(days + [0]) // 30 + 2)], color=ACCENT, edgecolor=INK)  # type: ignore[attr-defined]
        axes.set_xlabel("jours entre l'entrée et le premier emploi")  # type: ignore[attr-defined]
        axes.set_ylabel("personnes")  # type: ignore[attr-defined]
        axes.set_title("Délai d'accès au premier emploi", loc="left", fontsize=10)  # type: ignore[attr-defined]

    return _svg(6.5, 2.6, draw)


PHASES_FR = {
    "consent": "consentement",
    "prescription": "prescription",
    "convention": "convention",
    "evaluation": "évaluation",
    "project": "projet",
    "job_search": "recherche d'emploi",
    "in_job_support": "dans l'emploi",
}
