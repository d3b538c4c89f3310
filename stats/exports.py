"""CSV and Excel exports of the dashboard's tables (the same rows the page shows)."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _

from .models import Snapshot


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _num(value) -> object:
    return "" if value is None else (round(value, 1) if isinstance(value, float) else value)


def _snapshot_columns() -> list[tuple[str, object]]:
    return [
        (_("Households"), lambda s: s.households),
        (_("Line length (km)"), lambda s: round(s.line_length_m / 1000, 2)),
        (_("Pledge coverage"), lambda s: _pct(s.pledge_rate)),
        (_("Responsibility coverage"), lambda s: _pct(s.responsibility_rate)),
        (_("Segments patrolled (30 days)"), lambda s: _pct(s.patrol_coverage)),
        (_("Household visits"), lambda s: s.household_visits),
        (_("Reports"), lambda s: s.reports),
        (_("Hazards reported"), lambda s: s.hazards_reported),
        (_("Confirmed"), lambda s: s.confirmed),
        (_("Rejected"), lambda s: s.rejected),
        (_("Cleared by villagers"), lambda s: s.cleared_self),
        (_("Cleared by a crew"), lambda s: s.cleared_crew),
        (_("Verified"), lambda s: s.verified),
        (_("Open hazards"), lambda s: s.open_hazards),
        (_("Open inside the protection zone"), lambda s: s.open_in_zone),
        (_("Overdue for confirmation"), lambda s: s.overdue_confirm),
        (_("Overdue for clearing"), lambda s: s.overdue_clear),
        (_("Time to confirm, median (h)"), lambda s: _num(s.confirm_median_h)),
        (_("Time to confirm, 90th percentile (h)"), lambda s: _num(s.confirm_p90_h)),
        (_("Time to verified clearing, median (h)"), lambda s: _num(s.clear_median_h)),
        (_("Time to verified clearing, 90th percentile (h)"), lambda s: _num(s.clear_p90_h)),
        (_("Tree obstacles cleared (places)"), lambda s: s.tree_places_cleared),
        (_("Trees removed"), lambda s: s.trees_removed),
        (_("Construction activities stopped"), lambda s: s.construction_stopped),
        (_("Compliance score"), lambda s: _num(s.score) if s.enough_data else _("not enough data")),
        (_("Computed at"), lambda s: s.computed_at.strftime("%Y-%m-%d %H:%M")),
    ]


def _snapshot_rows(first: list[tuple[str, object]], rows: list[Snapshot]):
    cols = first + _snapshot_columns()
    return [c[0] for c in cols], [[fn(s) for _h, fn in cols] for s in rows]


def table(name: str, ctx: dict) -> tuple[list[str], list[list]]:
    if name == "ranking":
        return _snapshot_rows(
            [
                (_("Rank"), lambda s: s.rank or ""),
                (_("Service grid"), lambda s: s.scope_name),
                (_("Station"), lambda s: s.station.name if s.station_id else ""),
            ],
            ctx["ranking"],
        )
    if name == "children":
        return _snapshot_rows([(_("Area"), lambda s: s.scope_name)], ctx["children"])
    if name == "trend":
        return _snapshot_rows(
            [(_("Month"), lambda s: s.period_start.strftime("%Y-%m"))], ctx["trend"]
        )
    if name == "hazards":
        headers = [
            _("Report"), _("Type"), _("Status"), _("Service grid"), _("Transformer area"),
            _("Segment"), _("Inside the protection zone"), _("Distance to line (m)"),
            _("Received at"),
        ]  # fmt: skip
        rows = [
            [
                r.pk,
                r.get_kind_display(),
                r.get_status_display(),
                str(r.district),
                str(r.transformer_area or ""),
                str(r.segment or ""),
                _("yes") if r.in_zone else _("no"),
                _num(r.distance_m),
                r.received_at.strftime("%Y-%m-%d %H:%M"),
            ]
            for r in ctx["hazards"]
        ]
        return headers, rows
    raise KeyError(name)


def _safe_cell(value):
    # A cell starting with = + - @ would run as a formula in Excel (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def csv_response(name: str, headers: list[str], rows: list[list]) -> HttpResponse:
    buf = io.StringIO()
    # A BOM so that Excel opens the UTF-8 Chinese text correctly.
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows([[_safe_cell(v) for v in row] for row in rows])
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def xlsx_response(name: str, title: str, headers: list[str], rows: list[list]) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31] or "houhu"
    ws.append([str(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_safe_cell(str(v)) if not isinstance(v, int | float) else v for v in row])
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
