"""The statistics' own figures: the compliance score and its components.

Every count and rate a snapshot holds is defined where its subject lives: the reports'
in `patrols.figures`, the compact's and responsibility's in `pledges.figures`. This module
only adds what exists for the score, and lists every figure a snapshot holds in one table
(FIGURES) for the docs (docs/figures.md is generated from it and checked by
tests/test_docs_figures.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from patrols import figures as patrols_figures
from pledges import figures as pledges_figures

PLEDGE_RATE = pledges_figures.PLEDGE_RATE
RESPONSIBILITY_RATE = pledges_figures.RESPONSIBILITY_RATE
PATROL_COVERAGE = patrols_figures.PATROL_COVERAGE

# "Overdue" on the dashboard and in the exports: both kinds of overdue together.
OVERDUE_PARTS = ("overdue_confirm", "overdue_clear")


def overdue_sql(alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    return " + ".join(f"{p}{c}" for c in OVERDUE_PARTS)


@dataclass(frozen=True)
class Component:
    key: str
    label: Any
    sql: str  # over a snapshot row's columns, NULL when there is nothing to measure
    doc: Any


SCORE_COMPONENTS: tuple[Component, ...] = (
    Component("pledge_rate", PLEDGE_RATE.label, PLEDGE_RATE.sql(), PLEDGE_RATE.doc),
    Component(
        "responsibility_rate",
        RESPONSIBILITY_RATE.label,
        RESPONSIBILITY_RATE.sql(),
        RESPONSIBILITY_RATE.doc,
    ),
    Component("patrol_coverage", PATROL_COVERAGE.label, PATROL_COVERAGE.sql(), PATROL_COVERAGE.doc),
    Component(
        "resolution_rate",
        _("Resolution rate"),
        "CASE WHEN confirmed > 0 THEN verified::float8 / confirmed ELSE 1 END",
        _("Hazards verified as cleared ÷ hazards confirmed, of the period's reports (1 if none)."),
    ),
    Component(
        "timeliness",
        _("Timeliness"),
        f"CASE WHEN open_hazards > 0 THEN 1 - ({overdue_sql()})::float8 / open_hazards ELSE 1 END",
        _(
            "1 − overdue ÷ open at the period's end: "  # noqa: RUF001 - a real minus
            "the share of the waiting hazards still within the service targets (1 if none "
            "is open)."
        ),
    ),
)


def _labels() -> dict[str, Any]:
    labels: dict[str, Any] = {f.key: f.label for f in patrols_figures.FLOWS}
    labels.update({s.key: s.label for s in patrols_figures.STOCKS})
    for d in patrols_figures.DURATIONS:
        labels[f"{d.key}_median_h"] = format_lazy(_("{what}, median"), what=d.label)
        labels[f"{d.key}_p90_h"] = format_lazy(_("{what}, 90th percentile"), what=d.label)
    labels.update(
        {
            patrols_figures.PATROLLED: _("Segments patrolled in the last 30 days"),
            "households_signed": _("Households signed"),
            "covered_length_m": _("Line length with a responsible (m)"),
            "front_doors_confirmed": _("Front doors confirmed"),
            "household_visits": _("Household visits"),
            "overdue": _("Overdue against service targets"),
            "score": _("Compliance score"),
        }
    )
    labels.update({c.key: c.label for c in SCORE_COMPONENTS})
    return labels


# One label per figure, for every page, export and chart.
LABELS = _labels()


def figures_table() -> list[tuple[str, str, str, str]]:
    """(column, label, kind, meaning) of every figure a snapshot holds, in order."""
    rows: list[tuple[str, str, str, str]] = []
    for f in patrols_figures.FLOWS:
        rows.append((f.key, str(f.label), str(_("flow")), str(f.doc)))
    rows.append(
        (
            "behaviours",
            str(_("Unsafe behaviours by category")),
            str(_("flow")),
            str(patrols_figures.BEHAVIOURS[0].doc),
        )
    )
    for d in patrols_figures.DURATIONS:
        for q in patrols_figures.QUANTILES:
            key = f"{d.key}_{q}_h"
            rows.append((key, str(LABELS[key]), str(_("flow")), str(d.doc)))
    for s in patrols_figures.STOCKS:
        rows.append((s.key, str(s.label), str(_("stock")), str(s.doc)))
    rows.append(
        (
            patrols_figures.PATROLLED,
            str(LABELS[patrols_figures.PATROLLED]),
            str(_("stock")),
            str(patrols_figures.PATROLLED_DOC),
        )
    )
    for key, doc in pledges_figures.DOCS.items():
        kind = _("flow") if key == "household_visits" else _("stock")
        rows.append((key, str(LABELS[key]), str(kind), str(doc)))
    for c in SCORE_COMPONENTS:
        rows.append((c.key, str(c.label), str(_("rate")), str(c.doc)))
    rows.append(
        (
            "score",
            str(LABELS["score"]),
            str(_("score")),
            str(
                _(
                    "100 × the weighted mean of the rates above "  # noqa: RUF001 - times
                    "(settings.STATS_SCORE_WEIGHTS); a rate without data drops out."
                )
            ),
        )
    )
    return rows


DOC_BEGIN = "<!-- figures table: generated by `manage.py figures_doc`, checked by a test -->"
DOC_END = "<!-- end of the figures table -->"


def figures_markdown() -> str:
    """The table of docs/figures.md, in English, from the definitions above."""
    from django.utils import translation

    with translation.override("en"):
        rows = figures_table()
        lines = [
            DOC_BEGIN,
            "",
            "| figure (snapshot column) | label | kind | what it counts |",
            "| --- | --- | --- | --- |",
            *(f"| `{key}` | {label} | {kind} | {doc} |" for key, label, kind, doc in rows),
            "",
            DOC_END,
        ]
    return "\n".join(lines) + "\n"
