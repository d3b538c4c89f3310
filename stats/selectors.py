"""Reads of the stats app, always scoped to the user through houhu.accounts.scopes.

Everything here reads the snapshots written by `stats.compute` (never the raw reports,
except the live list of open hazards at the bottom of the drill-down).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houhu.accounts.scopes import Can, can, districts_for
from houhu.lib import geojson
from houhu.lib.db_router import read_connection

from .figures import (
    LABELS,
    PATROL_COVERAGE,
    PLEDGE_RATE,
    RESPONSIBILITY_RATE,
    SCORE_COMPONENTS,
    overdue_sql,
)
from .models import Level, PeriodKind, Snapshot, SnapshotRun

if TYPE_CHECKING:
    from houhu.accounts.models import User


class StatsDenied(Exception):
    """The user may not read statistics (villagers) or this area (outside their grid)."""


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    sql: str  # over the snapshot alias `s`
    is_rate: bool = False
    higher_is_better: bool = True


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("score", LABELS["score"], "s.score"),
        Measure(PLEDGE_RATE.key, PLEDGE_RATE.label, PLEDGE_RATE.sql(alias="s"), is_rate=True),
        Measure(
            RESPONSIBILITY_RATE.key,
            RESPONSIBILITY_RATE.label,
            RESPONSIBILITY_RATE.sql(alias="s"),
            is_rate=True,
        ),
        Measure(
            PATROL_COVERAGE.key, PATROL_COVERAGE.label, PATROL_COVERAGE.sql(alias="s"), is_rate=True
        ),
        Measure(
            "visits_per_100_households",
            _("Household visits per 100 households"),
            "s.household_visits * 100.0 / nullif(s.households, 0)",
        ),
        Measure(
            "hazards_per_100_households",
            _("Hazards reported per 100 households"),
            "s.hazards_reported * 100.0 / nullif(s.households, 0)",
            higher_is_better=False,
        ),
        Measure(
            "hazards_per_10_km",
            _("Hazards reported per 10 km of line"),
            "s.hazards_reported * 10000.0 / nullif(s.line_length_m, 0)",
            higher_is_better=False,
        ),
        Measure("open_hazards", LABELS["open_hazards"], "s.open_hazards", higher_is_better=False),
        Measure(
            "open_in_zone",
            LABELS["open_in_zone"],
            "s.open_in_zone",
            higher_is_better=False,
        ),
        Measure(
            "overdue",
            LABELS["overdue"],
            overdue_sql("s"),
            higher_is_better=False,
        ),
        Measure("tree_places_cleared", LABELS["tree_places_cleared"], "s.tree_places_cleared"),
        Measure("trees_removed", LABELS["trees_removed"], "s.trees_removed"),
        Measure("construction_stopped", LABELS["construction_stopped"], "s.construction_stopped"),
        Measure(
            "confirm_median_h",
            LABELS["confirm_median_h"],
            "s.confirm_median_h",
            higher_is_better=False,
        ),
    )
}

CHILD_LEVEL = {
    Level.COUNTY: Level.STATION,
    Level.STATION: Level.DISTRICT,
    Level.DISTRICT: Level.TRANSFORMER_AREA,
}


def can_read_stats(user: User) -> bool:
    """Who reads the statistics: houhu.accounts.scopes decides (leaders, staff, admins)."""
    return can(user, Can.READ_STATS)


def visible_district_ids(user: User) -> list[int]:
    return list(districts_for(user).values_list("pk", flat=True))


def snapshots_for(user: User) -> QuerySet[Snapshot]:
    """Snapshots of the areas the user may read. A county row is shown only to those who
    read the whole county (leaders); a station row to those who read all of it."""
    if not can_read_stats(user):
        return Snapshot.objects.none()
    districts = districts_for(user)
    qs = Snapshot.objects.select_related("run")
    from houhu.grid.models import District, Station

    station_ids = Station.objects.filter(districts__in=districts).values("pk").distinct()
    partial_stations = (
        District.objects.filter(station__in=station_ids)
        .exclude(pk__in=districts.values("pk"))
        .values("station_id")
    )
    full_stations = Station.objects.filter(pk__in=station_ids).exclude(pk__in=partial_stations)
    from django.db.models import Q

    visible = Q(level__in=[Level.DISTRICT, Level.TRANSFORMER_AREA], district__in=districts) | Q(
        level=Level.STATION, station__in=full_stations.values("pk")
    )
    if can(user, Can.READ_COUNTY):
        counties = full_stations.values("county_id")
        visible |= Q(level=Level.COUNTY, county__in=counties)
    return qs.filter(visible)


def default_scope(user: User) -> tuple[str, int]:
    """Where the dashboard opens: the county for leaders, the station for staff."""
    visible = snapshots_for(user)
    for level in (Level.COUNTY, Level.STATION, Level.DISTRICT):
        row = visible.filter(level=level).order_by("scope_id").values("scope_id").first()
        if row:
            return level, row["scope_id"]
    if user.county_id:
        return Level.COUNTY, user.county_id
    if user.station_id:
        return Level.STATION, user.station_id
    first = districts_for(user).values_list("pk", flat=True).first()
    if first is None:
        raise StatsDenied(_("You have no service grid to show statistics for."))
    return Level.DISTRICT, first


def last_complete_month(today: dt.date | None = None) -> dt.date:
    """Where the dashboard opens: the last month that has ended (on 1 December, November).
    The running month is one click away, compared with the same days of the month before."""
    today = today or timezone.localdate()
    return previous_month(today.replace(day=1))


def this_month(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


def scope_snapshot(
    user: User, *, level: str, scope_id: int, period: str = PeriodKind.MONTH, start: dt.date
) -> Snapshot | None:
    """One area's snapshot, or None if not computed yet; StatsDenied outside the user's scope."""
    qs = snapshots_for(user).filter(level=level, scope_id=scope_id)
    if not qs.exists() and not _scope_exists_for(user, level, scope_id):
        raise StatsDenied(_("This area is outside the areas you may read."))
    return qs.filter(period=period, period_start=start).first()


def _scope_exists_for(user: User, level: str, scope_id: int) -> bool:
    """An area may simply have no snapshot yet: it is still the user's to read."""
    districts = districts_for(user)
    if level == Level.DISTRICT:
        return districts.filter(pk=scope_id).exists()
    if level == Level.TRANSFORMER_AREA:
        return districts.filter(transformer_areas=scope_id).exists()
    if level == Level.STATION:
        return districts.filter(station=scope_id).exists()
    return can(user, Can.READ_COUNTY) and districts.filter(station__county=scope_id).exists()


def children(
    user: User, *, level: str, scope_id: int, start: dt.date, period: str = PeriodKind.MONTH
) -> QuerySet[Snapshot]:
    child = CHILD_LEVEL.get(Level(level))
    if child is None:
        return Snapshot.objects.none()
    parent_field = {
        Level.COUNTY: "county_id",
        Level.STATION: "station_id",
        Level.DISTRICT: "district_id",
    }[Level(level)]
    return (
        snapshots_for(user)
        .filter(level=child, period=period, period_start=start, **{parent_field: scope_id})
        .order_by("scope_name")
    )


def ranking(
    user: User, *, level: str, scope_id: int, start: dt.date, period: str = PeriodKind.MONTH
) -> list[Snapshot]:
    """Districts under an area by compliance score; "not enough data" ones last, unranked."""
    qs = snapshots_for(user).filter(level=Level.DISTRICT, period=period, period_start=start)
    if level == Level.COUNTY:
        qs = qs.filter(county_id=scope_id)
    elif level == Level.STATION:
        qs = qs.filter(station_id=scope_id)
    else:
        qs = qs.filter(district_id=scope_id)
    rows = list(
        qs.order_by(
            F("enough_data").desc(), F("score").desc(nulls_last=True), "scope_name"
        ).select_related("station")
    )
    rank = 0
    for row in rows:
        if row.enough_data and row.score is not None:
            rank += 1
            row.rank = rank
        else:
            row.rank = None
    return rows


def trend(
    user: User, *, level: str, scope_id: int, until: dt.date, months: int = 12
) -> list[Snapshot]:
    first = until
    for _i in range(months - 1):
        first = previous_month(first)
    return list(
        snapshots_for(user)
        .filter(
            level=level,
            scope_id=scope_id,
            period=PeriodKind.MONTH,
            period_start__gte=first,
            period_start__lte=until,
        )
        .order_by("period_start")
    )


def choropleth(
    user: User, *, level: str, start: dt.date, measure: str, parent: tuple[str, int] | None = None
) -> str:
    """A GeoJSON FeatureCollection of districts (or transformer areas) with one measure,
    built in PostGIS and returned as a string (see stack-notes: serialisers are slow)."""
    m = MEASURES[measure]
    ids = visible_district_ids(user) if can_read_stats(user) else []
    parent_sql = ""
    params: dict = {"ids": ids, "start": start, "level": level}
    if parent:
        col = {
            Level.COUNTY: "st.county_id",
            Level.STATION: "d.station_id",
            Level.DISTRICT: "d.id",
        }.get(Level(parent[0]))
        if col:
            parent_sql = f"AND {col} = %(parent)s"
            params["parent"] = parent[1]
    if level == Level.TRANSFORMER_AREA:
        geom = "coalesce(ta.area, ST_Buffer(ta.transformer::geography, 250)::geometry)"
        source = (
            "grid_transformerarea ta JOIN grid_district d ON d.id = ta.district_id "
            "JOIN grid_station st ON st.id = d.station_id"
        )
        key = "ta"
    else:
        geom = "d.boundary"
        source = "grid_district d JOIN grid_station st ON st.id = d.station_id"
        key = "d"
    select = f"""
        SELECT {key}.id, {key}.name, {geom} AS geom, st.name AS station,
               ({m.sql})::float8 AS value, s.enough_data, s.computed_at
        FROM {source}
        LEFT JOIN stats_snapshot s ON s.level = %(level)s AND s.scope_id = {key}.id
             AND s.period = 'month' AND s.period_start = %(start)s
        WHERE d.id = ANY(%(ids)s) {parent_sql}
    """  # noqa: S608 - fragments are this module's constants; values are parameters
    return geojson.from_sql(select, params)


def score_formula() -> dict:
    """The score's normalised weights and components (stats.figures.SCORE_COMPONENTS)."""
    weights = settings.STATS_SCORE_WEIGHTS
    total = sum(weights.values()) or 1
    normalised = {k: round(v / total, 3) for k, v in weights.items()}
    return {
        "weights": normalised,
        "components": [
            {
                "key": c.key,
                "label": str(c.label),
                "doc": str(c.doc),
                "weight": normalised.get(c.key, 0),
            }
            for c in SCORE_COMPONENTS
        ],
        "min_reports": settings.STATS_MIN_REPORTS,
    }


def open_hazards(user: User, *, district_id: int | None = None, ta_id: int | None = None):
    """The live list at the bottom of the drill-down: open hazards now, oldest first."""
    from patrols.models import Report

    qs = Report.objects.filter(district__in=districts_for(user), status__in=Report.OPEN_STATUSES)
    if district_id:
        qs = qs.filter(district_id=district_id)
    if ta_id:
        qs = qs.filter(transformer_area_id=ta_id)
    return qs.select_related("district", "transformer_area", "segment").order_by("received_at")


def chart_series(rows: list[Snapshot], keys: list[str], partial: dt.date | None = None) -> dict:
    """The series the trend charts draw, for a json_script block; the running month
    (`partial`) is marked as such."""
    return {
        "labels": [
            r.period_start.strftime("%Y-%m")
            + (str(_(" (to date)")) if r.period_start == partial else "")
            for r in rows
        ],
        **{k: [_value(r, k) for r in rows] for k in keys},
    }


def _value(row: Snapshot, key: str):
    value = getattr(row, key)
    return round(value, 4) if isinstance(value, float) else value


def service_targets(level: str, scope_id: int) -> dict[str, Any]:
    """The targets in force for an area's station: {"confirm_h": hours to a first
    decision, "clear": [(kind label, hours to clear once confirmed), …]}."""
    from houhu.grid.models import District, TransformerArea
    from patrols.figures import clear_hours, confirm_hours
    from patrols.models import Report

    station_id = None
    if level == Level.STATION:
        station_id = scope_id
    elif level == Level.DISTRICT:
        station_id = (
            District.objects.filter(pk=scope_id).values_list("station_id", flat=True).first()
        )
    elif level == Level.TRANSFORMER_AREA:
        station_id = (
            TransformerArea.objects.filter(pk=scope_id)
            .values_list("district__station_id", flat=True)
            .first()
        )
    return {
        "confirm_h": confirm_hours(station_id),
        "clear": [(Report.Kind(k).label, h) for k, h in clear_hours().items()],
    }


def figures_time(rows: Iterable[Snapshot | None]) -> dt.datetime | None:
    """The one computation time a page (or an export) of these rows states: the OLDEST of
    the times their figures were last checked, so that nothing shown is older than it.

    A row was checked by the latest successful run that covered its period (and, for a
    grid's or area's row, either the whole county or its grid), whether or not that run
    had to change the row; a run's `as_of` is the time its figures are taken at."""
    keys = {(r.period, r.period_start, r.district_id) for r in rows if r is not None}
    if not keys:
        return None
    periods, starts, districts = zip(*keys, strict=True)
    with read_connection().cursor() as cur:
        cur.execute(
            f"""
            SELECT min(checked) FROM (
                SELECT (SELECT max(coalesce(r.as_of, r.started_at))
                        FROM {SnapshotRun._meta.db_table} r
                        WHERE r.status = %s AND r.period = v.period
                          AND r.first_start <= v.ps AND r.last_start >= v.ps
                          AND (r.district_id IS NULL OR r.district_id = v.district)) AS checked
                FROM unnest(%s::varchar[], %s::date[], %s::bigint[]) AS v(period, ps, district)
            ) AS x
            """,  # noqa: S608 - the table name is the model's
            [SnapshotRun.Status.DONE, list(periods), list(starts), list(districts)],
        )
        return cur.fetchone()[0]
