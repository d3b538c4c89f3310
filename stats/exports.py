"""CSV and Excel exports of the dashboard's tables (the same rows the page shows).

Numbers stay numbers: a rate is a numeric cell with a percent format in Excel and a
number of percent (the header says "%") in CSV, never the text "84.5%"; an area without
enough data to rank has an empty score and says so in its own column. Every export states
the one time its figures were computed, in the station's local time with the zone named,
like the page it comes from.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .figures import LABELS
from .heads import StationHead
from .models import Snapshot

COUNT, RATE, NUMBER, TEXT, TIME = "count", "rate", "number", "text", "time"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    kind: str = COUNT


def _snapshot_columns(computed_at: dt.datetime | None) -> list[Column]:
    def figure(key: str, kind: str = COUNT) -> Column:
        return Column(str(LABELS[key]), lambda s: getattr(s, key), kind)

    return [
        Column(_("Households"), lambda s: s.households),
        Column(_("Line length (km)"), lambda s: round(s.line_length_m / 1000, 2), NUMBER),
        figure("pledge_rate", RATE),
        figure("responsibility_rate", RATE),
        figure("patrol_coverage", RATE),
        figure("household_visits"),
        figure("reports"),
        figure("hazards_reported"),
        figure("confirmed"),
        figure("rejected"),
        figure("cleared_self"),
        figure("cleared_crew"),
        figure("verified"),
        figure("open_hazards"),
        figure("open_in_zone"),
        figure("overdue_confirm"),
        figure("overdue_clear"),
        figure("confirm_median_h", NUMBER),
        figure("confirm_p90_h", NUMBER),
        figure("clear_median_h", NUMBER),
        figure("clear_p90_h", NUMBER),
        figure("tree_places_reported"),
        figure("tree_places_cleared"),
        figure("tree_places_cleared_self"),
        figure("tree_places_cleared_crew"),
        figure("trees_removed"),
        figure("construction_stopped"),
        Column(str(LABELS["score"]), lambda s: s.score if s.enough_data else None, NUMBER),
        Column(_("Enough data to rank"), lambda s: _("yes") if s.enough_data else _("no"), TEXT),
        Column(_("Figures as of"), lambda s: s.as_of, TIME),
        Column(_("Figures computed at"), lambda s: computed_at, TIME),
    ]


def _snapshot_table(first: list[Column], rows: list[Snapshot], computed_at):
    return first + _snapshot_columns(computed_at), rows


def table(name: str, ctx: dict) -> tuple[list[Column], list]:
    at = ctx.get("checked_at")
    if name == "ranking":
        return _snapshot_table(
            [
                Column(_("Rank"), lambda s: s.rank),
                Column(_("Service grid"), lambda s: s.scope_name, TEXT),
                Column(_("Station"), lambda s: s.station.name if s.station_id else "", TEXT),
            ],
            ctx["ranking"],
            at,
        )
    if name == "children":
        return _snapshot_table(
            [Column(_("Area"), lambda s: s.scope_name, TEXT)], ctx["children"], at
        )
    if name == "trend":
        return _snapshot_table(
            [Column(_("Month"), lambda s: s.period_start.strftime("%Y-%m"), TEXT)],
            ctx["trend"],
            at,
        )
    if name == "hazards":
        columns = [
            Column(_("Report"), lambda r: r.pk),
            Column(_("Type"), lambda r: r.get_kind_display(), TEXT),
            Column(_("Status"), lambda r: r.get_status_display(), TEXT),
            Column(_("Service grid"), lambda r: str(r.district), TEXT),
            Column(_("Transformer area"), lambda r: str(r.transformer_area or ""), TEXT),
            Column(_("Segment"), lambda r: str(r.segment or ""), TEXT),
            Column(
                _("Inside the protection zone"),
                lambda r: _("yes") if r.in_zone else _("no"),
                TEXT,
            ),
            Column(_("Distance to line (m)"), lambda r: r.distance_m, NUMBER),
            Column(_("Received at"), lambda r: r.received_at, TIME),
        ]
        return columns, ctx["hazards"]
    raise KeyError(name)


def _header(c: Column, *, csv_file: bool) -> str:
    if c.kind == TIME:
        return f"{c.header} ({settings.TIME_ZONE})"
    if c.kind == RATE and csv_file:
        return f"{c.header} (%)"
    return str(c.header)


def _safe_cell(value):
    # A cell starting with = + - @ would run as a formula in Excel (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _local(value: dt.datetime | None) -> dt.datetime | None:
    # Excel has no time zones: the station's local time, naive; the header names the zone.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _csv_value(c: Column, value):
    if value is None:
        return ""
    if c.kind == RATE:
        return round(value * 100, 1)
    if c.kind == NUMBER:
        return round(value, 2)
    if c.kind == TIME:
        return f"{_local(value):%Y-%m-%d %H:%M}"
    return _safe_cell(value) if isinstance(value, str) else value


def _chain_rows(chain: list[StationHead]) -> list[list[str]]:
    """Below the table (CSV) or on its own sheet (Excel): each station's ledger head."""
    header = [_("Ledger chain head"), _("Station"), _("Entries"), _("Head (hash@date)")]
    return [header] + [["", h.station, h.head.seq, str(h.head)] for h in chain]


def csv_response(
    name: str, columns: list[Column], rows: list, chain: list[StationHead] = ()
) -> HttpResponse:
    buf = io.StringIO()
    # A BOM so that Excel opens the UTF-8 Chinese text correctly.
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow([_header(c, csv_file=True) for c in columns])
    writer.writerows([[_csv_value(c, c.value(row)) for c in columns] for row in rows])
    if chain:
        # After an empty row, so a reader of the table stops before it.
        writer.writerow([])
        writer.writerows(_chain_rows(chain))
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


XLSX_FORMATS = {RATE: "0.0%", NUMBER: "0.0#", TIME: "yyyy-mm-dd hh:mm", COUNT: "0"}


def xlsx_response(
    name: str, title: str, columns: list[Column], rows: list, chain: list[StationHead] = ()
) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31] or "houhu"
    ws.append([_header(c, csv_file=False) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = []
        for c in columns:
            value = c.value(row)
            if c.kind == TIME:
                value = _local(value)
            elif isinstance(value, str):
                value = _safe_cell(value)
            values.append(value)
        ws.append(values)
    for i, c in enumerate(columns, start=1):
        fmt = XLSX_FORMATS.get(c.kind)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
    ws.freeze_panes = "A2"
    if chain:
        heads = wb.create_sheet(str(_("Ledger chain head"))[:31])
        for values in _chain_rows(chain):
            heads.append(values)
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
