"""docs/figures.md says what each figure means, and cannot drift from the definitions: its
table is generated from them (`manage.py figures_doc`) and checked here."""

from __future__ import annotations

from pathlib import Path

from stats.compute import TABLE_COLS
from stats.figures import figures_markdown, figures_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "figures.md"
# Identity, denominators and bookkeeping: not figures.
NOT_FIGURES = {
    "level", "scope_id", "scope_name", "county_id", "station_id", "district_id", "period",
    "period_start", "as_of", "households", "segments", "line_length_m", "enough_data",
}  # fmt: skip


def test_the_docs_table_is_the_one_generated_from_the_definitions():
    assert figures_markdown() in DOC.read_text(encoding="utf-8"), (
        "docs/figures.md differs from the definitions: run "
        "`.venv/bin/python manage.py figures_doc` and review the change"
    )


def test_every_figure_a_snapshot_holds_is_documented():
    documented = {key for key, _label, _kind, _doc in figures_table()}
    assert set(TABLE_COLS) - NOT_FIGURES <= documented
    assert all(doc for _key, _label, _kind, doc in figures_table())
