"""The leadership dashboard, its exports and the printable monthly report. Read-only: every
view answers GET only (a POST from a leader, or anyone, is refused with 405)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from houhu.lib.db_router import replica_reads

from . import exports, heads, selectors
from .figures import LABELS
from .models import Level, PeriodKind, Snapshot
from .selectors import MEASURES, StatsDenied


@dataclass
class Figure:
    key: str
    label: str
    value: object
    previous: object
    kind: str = "count"  # count | rate | score | hours
    higher_is_better: bool = True

    @property
    def delta(self):
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def trend_class(self) -> str:
        d = self.delta
        if not d:
            return "same"
        return "better" if (d > 0) == self.higher_is_better else "worse"


def _parse_month(raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()  # noqa: DTZ007 - a calendar month
    except ValueError:
        return None


class Params:
    """The dashboard's query string, checked against the user's scope."""

    def __init__(self, request: HttpRequest):
        user = request.user
        if not selectors.can_read_stats(user):
            raise PermissionDenied(_("Statistics are for station staff and county leaders."))
        level = request.GET.get("level")
        raw_id = request.GET.get("id", "")
        try:
            if level:
                level = Level(level)
                scope_id = int(raw_id)
            else:
                level, scope_id = selectors.default_scope(user)
        except (ValueError, StatsDenied) as exc:
            raise Http404(_("Unknown area.")) from exc
        self.level, self.scope_id = Level(level), scope_id
        today = timezone.localdate()
        self.this_month = selectors.this_month(today)
        # The last complete month by default; the running month is "month to date".
        self.month = _parse_month(request.GET.get("month")) or selectors.last_complete_month(today)
        self.in_progress = self.month == self.this_month
        measure = request.GET.get("measure", "score")
        self.measure = measure if measure in MEASURES else "score"
        try:
            self.current = selectors.scope_snapshot(
                user, level=self.level, scope_id=self.scope_id, start=self.month
            )
        except StatsDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        # Like with like: a running month is compared with the month before up to the same
        # point ("1-7 Dec, compared with 1-7 Nov"), a complete month with the whole month.
        self.previous = selectors.scope_snapshot(
            user,
            level=self.level,
            scope_id=self.scope_id,
            period=PeriodKind.MONTH_TO_DATE if self.in_progress else PeriodKind.MONTH,
            start=selectors.previous_month(self.month),
        )
        self.user = user

    def _days(self, start: dt.date, row: Snapshot | None) -> str:
        end = timezone.localdate(row.as_of - dt.timedelta(microseconds=1)) if row else start
        first = date_format(start, "MONTH_DAY_FORMAT")
        if end <= start:
            return first
        # An en dash between the two days.
        return f"{first}\u2013{date_format(end, 'MONTH_DAY_FORMAT')}"

    @property
    def period_label(self) -> str:
        """What the figures cover: "November 2026", or "December 1-7" while it runs."""
        if self.in_progress:
            return self._days(self.month, self.current)
        return date_format(self.month, "YEAR_MONTH_FORMAT")

    @property
    def previous_label(self) -> str:
        previous = selectors.previous_month(self.month)
        if self.in_progress:
            return self._days(previous, self.previous)
        return date_format(previous, "YEAR_MONTH_FORMAT")

    @property
    def month_to_date_label(self) -> str:
        return date_format(self.this_month, "YEAR_MONTH_FORMAT")

    def query(self, **over) -> str:
        from urllib.parse import urlencode

        q = {
            "level": self.level.value,
            "id": self.scope_id,
            "month": self.month.strftime("%Y-%m"),
            "measure": self.measure,
        }
        q.update(over)
        return urlencode(q)


def _figures(cur: Snapshot | None, prev: Snapshot | None) -> list[Figure]:
    def get(s, attr):
        return getattr(s, attr) if s is not None else None

    # (figure, kind, higher is better); labels and meanings are the figures' own.
    spec = [
        ("score", "score", True),
        ("pledge_rate", "rate", True),
        ("responsibility_rate", "rate", True),
        ("patrol_coverage", "rate", True),
        ("household_visits", "count", True),
        ("hazards_reported", "count", True),
        ("open_hazards", "count", False),
        ("open_in_zone", "count", False),
        ("overdue_confirm", "count", False),
        ("overdue_clear", "count", False),
        ("tree_places_cleared", "count", True),
        ("tree_places_cleared_self", "count", True),
        ("trees_removed", "count", True),
        ("construction_stopped", "count", True),
        ("confirm_median_h", "hours", False),
        ("clear_median_h", "hours", False),
    ]
    return [
        Figure(key, LABELS[key], get(cur, key), get(prev, key), kind, better)
        for key, kind, better in spec
    ]


def _breadcrumbs(level: Level, scope_id: int) -> list[tuple[str, str, int, str]]:
    """(level label, level, id, name) from the county down to the current area."""
    from houhu.grid.models import County, District, Station, TransformerArea

    crumbs = []
    if level == Level.TRANSFORMER_AREA:
        ta = TransformerArea.objects.select_related("district__station__county").get(pk=scope_id)
        crumbs.append((Level.TRANSFORMER_AREA, ta.pk, ta.name))
        level, scope_id = Level.DISTRICT, ta.district_id
    if level == Level.DISTRICT:
        d = District.objects.select_related("station").get(pk=scope_id)
        crumbs.append((Level.DISTRICT, d.pk, d.name))
        level, scope_id = Level.STATION, d.station_id
    if level == Level.STATION:
        st = Station.objects.get(pk=scope_id)
        crumbs.append((Level.STATION, st.pk, st.name))
        level, scope_id = Level.COUNTY, st.county_id
    county = County.objects.get(pk=scope_id)
    crumbs.append((Level.COUNTY, county.pk, county.name))
    return [(lv.label, lv.value, pk, name) for lv, pk, name in reversed(crumbs)]


def _context(request: HttpRequest, p: Params) -> dict:
    user = p.user
    ranking = (
        selectors.ranking(user, level=p.level, scope_id=p.scope_id, start=p.month)
        if p.level in (Level.COUNTY, Level.STATION)
        else []
    )
    kids = list(selectors.children(user, level=p.level, scope_id=p.scope_id, start=p.month))
    trend = selectors.trend(user, level=p.level, scope_id=p.scope_id, until=p.month)
    year = selectors.scope_snapshot(
        user, level=p.level, scope_id=p.scope_id, period=PeriodKind.YEAR,
        start=p.month.replace(month=1),
    )  # fmt: skip
    hazards = []
    if p.level in (Level.DISTRICT, Level.TRANSFORMER_AREA):
        key = "district_id" if p.level == Level.DISTRICT else "ta_id"
        hazards = list(selectors.open_hazards(user, **{key: p.scope_id})[:200])
    try:
        crumbs = _breadcrumbs(p.level, p.scope_id)
    except Exception as exc:
        raise Http404(_("Unknown area.")) from exc
    map_level = None
    if p.level in (Level.COUNTY, Level.STATION):
        map_level = Level.DISTRICT
    elif p.level == Level.DISTRICT:
        map_level = Level.TRANSFORMER_AREA
    return {
        "p": p,
        "level": p.level,
        "scope_name": crumbs[-1][3],
        "crumbs": crumbs,
        "current": p.current,
        "previous": p.previous,
        "year": year,
        "figures": _figures(p.current, p.previous),
        "ranking": ranking,
        "children": kids,
        "child_level": selectors.CHILD_LEVEL.get(p.level),
        "trend_json": selectors.chart_series(
            trend,
            [
                "score",
                "pledge_rate",
                "responsibility_rate",
                "patrol_coverage",
                "hazards_reported",
                "open_hazards",
                "verified",
                "trees_removed",
                "tree_places_cleared",
                "construction_stopped",
            ],
            partial=p.this_month,
        ),
        "trend": trend,
        "hazards": hazards,
        "measures": list(MEASURES.values()),
        "measure": MEASURES[p.measure],
        "map_level": map_level,
        "formula": selectors.score_formula(),
        "month": p.month,
        "prev_month": selectors.previous_month(p.month),
        "next_month": (p.month + dt.timedelta(days=32)).replace(day=1),
        "now": timezone.now(),
        "read_only": True,
        # The one time the page states: the oldest check of any row it shows.
        "checked_at": selectors.figures_time(
            [p.current, p.previous, year, *ranking, *kids, *trend]
        ),
        "current_targets": selectors.service_targets(p.level, p.scope_id),
        "last_complete_month": selectors.last_complete_month(),
        "this_month": p.this_month,
    }


@replica_reads
@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    p = Params(request)
    return render(request, "stats/dashboard.html", _context(request, p))


@replica_reads
@require_GET
@login_required
def monthly_report(request: HttpRequest) -> HttpResponse:
    """A printable monthly report of a station or grid, for meetings (print stylesheet)."""
    p = Params(request)
    ctx = _context(request, p)
    ctx["chain_heads"] = heads.for_scope(p.level, p.scope_id, p.month, to_date=p.in_progress)
    return render(request, "stats/report.html", ctx)


@replica_reads
@require_GET
@login_required
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    p = Params(request)
    ctx = _context(request, p)
    try:
        columns, rows = exports.table(table, ctx)
    except KeyError as exc:
        raise Http404(_("Unknown table.")) from exc
    name = f"houhu-{table}-{p.level.value}-{p.scope_id}-{p.month:%Y-%m}"
    chain = heads.for_scope(p.level, p.scope_id, p.month, to_date=p.in_progress)
    if fmt == "xlsx":
        return exports.xlsx_response(name, str(ctx["scope_name"]), columns, rows, chain)
    return exports.csv_response(name, columns, rows, chain)
