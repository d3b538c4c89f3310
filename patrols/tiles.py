"""The reports tile layer (registered in PatrolsConfig.ready; houhu.grid.tiles serves it).

Bounded by time as well as by area: the map shows the open reports and those closed in
the last PATROLS_MAP_CLOSED_DAYS (`map_reports`); older ones are reached through the
search list (/api/patrols/reports/ with filters, paged). Below REPORT_POINTS_MIN_ZOOM the
reports are counted per cell in PostGIS (how many, how many open, how many open inside
the protection zone), so a station's or a county's open hazards show at every zoom
without shipping every point. No reporter's name is in a tile: the side panel reads the
report through the API, which decides what it shows.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from houhu.grid.tiles import TileLayer, register
from houhu.lib import mvt

from .models import Report
from .selectors import filter_reports, reports_for

REPORT_POINTS_MIN_ZOOM = 13
# The workspace's filters that apply to the map (dates go to the search list instead).
FILTERS = ("kind", "status", "in_zone")  # and `district`, on every layer
# The report's id is the feature's id (houhu.lib.mvt: not a value in the table of values).
POINT_COLUMNS = ["kind", "status", "in_zone", "district_id"]
OPEN = ", ".join(f"'{s}'" for s in Report.OPEN_STATUSES)  # the model's constants


def closed_since(now: dt.datetime | None = None) -> dt.datetime:
    """The start of the map's window of closed reports: local midnight, N days ago (whole
    days, so that tiles built during one day share one window and one cache key)."""
    today = timezone.localdate(now)
    start = today - dt.timedelta(days=settings.PATROLS_MAP_CLOSED_DAYS)
    return timezone.make_aware(dt.datetime.combine(start, dt.time.min))


def map_reports(qs: QuerySet[Report], since: dt.datetime | None = None) -> QuerySet[Report]:
    """Open reports, and closed ones whose status changed since the window's start."""
    since = since or closed_since()
    return qs.filter(Q(status__in=Report.OPEN_STATUSES) | Q(status_changed_at__gte=since))


def reports_tile(*, user, district_ids, z, x, y, params) -> bytes:
    qs = filter_reports(reports_for(user).filter(district__in=district_ids), params)
    qs = map_reports(qs, params.get("closed_since"))
    if z >= REPORT_POINTS_MIN_ZOOM:
        rows = qs.filter(
            location__bboverlaps=mvt.tile_bounds_4326(z, x, y, margin=mvt.buffer_margin())
        ).values("id", *POINT_COLUMNS, geom=F("location"))
        return mvt.features_tile(
            "reports", rows, columns=POINT_COLUMNS, feature_id="id", z=z, x=x, y=y,
            extent=mvt.POINT_EXTENT,
        )  # fmt: skip
    rows = qs.filter(location__bboverlaps=mvt.tile_bounds_4326(z, x, y)).values(
        "status", "in_zone", geom=F("location")
    )
    is_open = f"q.status IN ({OPEN})"
    return mvt.cells_tile(
        "reports",
        rows,
        z=z,
        x=x,
        y=y,
        aggregates={
            "open": f"count(*) FILTER (WHERE {is_open})",
            "urgent": f"count(*) FILTER (WHERE {is_open} AND q.in_zone)",
        },
    )


def register_layers() -> None:
    register(
        TileLayer(
            "reports",
            reports_tile,
            changed_by=frozenset({"patrols.Report"}),
            params=FILTERS,
            context=lambda: {"closed_since": closed_since()},
        )
    )
