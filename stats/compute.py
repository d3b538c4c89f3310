"""The snapshot computation: set-based SQL in PostGIS, one transaction per refresh.

A refresh covers one or more period kinds (day, month, year) over a range of periods, for
the whole county or for one service grid. Per kind, one statement computes the new set and,
in the same statement, inserts new rows, updates rows whose figures changed and deletes
rows the sources no longer produce; all kinds commit together, so

- re-running gives the same rows (nothing is added to a running total),
- a worker killed mid-run rolls back and leaves the previous complete set,
- readers never see a half-written set (MVCC: they read the old rows until COMMIT).

The figures (see stats/models.py for what each means):
- report flows group the reports *received* in the period with GROUPING SETS, so one scan
  of the reports yields the transformer-area, district, station and county rows together
  (medians and 90th percentiles cannot be added up from smaller areas);
- coverage stocks (pledges, responsibility, patrols in the last 30 days) are taken as of
  the period's end, for month and year rows;
- the compliance score is computed in the same statement from settings.STATS_SCORE_WEIGHTS.

Each kind appends a SnapshotRun (when, how long, the sources' row counts and highest ids,
rows changed); a row's `computed_at`/`run` say when its figures last changed.
"""

from __future__ import annotations

# The SQL is assembled from fragments written in this module (level names, column names,
# GROUPING SETS); every value (dates, ids, weights, targets) is a bound query parameter.
# ruff: noqa: S608
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Level, PeriodKind, SnapshotRun

BEHAVIOURS = (
    "unauthorised_wiring", "clothes_on_lines", "building_under_lines", "fishing_under_lines",
    "live_cable_laying", "wet_hands", "cattle_on_stay_wire", "fuse_replaced_by_wire",
    "appliances_moved_carelessly",
)  # fmt: skip
SCORE_COMPONENTS = (
    "pledge_rate", "responsibility_rate", "patrol_coverage", "resolution_rate", "timeliness",
)  # fmt: skip
STEP = {PeriodKind.DAY: "1 day", PeriodKind.MONTH: "1 month", PeriodKind.YEAR: "1 year"}

# Tests replace this to simulate a worker dying after the write, before the commit.
_after_write_hook: Callable[[], None] | None = None

TABLE_COLS = (
    "level", "scope_id", "scope_name", "county_id", "station_id", "district_id", "period",
    "period_start", "households", "segments", "line_length_m", "households_signed",
    "covered_length_m", "front_doors_confirmed", "segments_patrolled_30d", "household_visits",
    "reports", "hazards_reported", "confirmed", "rejected", "cleared", "cleared_self",
    "cleared_crew", "verified", "open_hazards", "open_in_zone", "overdue_confirm",
    "overdue_clear", "tree_places_cleared", "trees_removed", "construction_stopped",
    "confirm_median_h", "confirm_p90_h", "clear_median_h", "clear_p90_h", "behaviours",
    "score", "enough_data",
)  # fmt: skip

# A matched pair is equal on the join key (level, scope, period start) and the period kind
# by construction: only the other columns are compared.
COMPARED_COLS = tuple(
    c for c in TABLE_COLS if c not in ("level", "scope_id", "period", "period_start")
)


@dataclass(frozen=True)
class RunResult:
    rows: int
    duration_ms: int
    run_id: int


def period_start(kind: str, day: dt.date) -> dt.date:
    if kind == PeriodKind.YEAR:
        return day.replace(month=1, day=1)
    if kind == PeriodKind.MONTH:
        return day.replace(day=1)
    return day


def _score_sql() -> tuple[str, dict]:
    """Weighted mean of the available rates, x100; components without data drop out."""
    weights = {k: float(settings.STATS_SCORE_WEIGHTS.get(k, 0)) for k in SCORE_COMPONENTS}
    num = " + ".join(f"coalesce(%(w_{k})s * {k}, 0)" for k in SCORE_COMPONENTS)
    den = " + ".join(f"(CASE WHEN {k} IS NULL THEN 0 ELSE %(w_{k})s END)" for k in SCORE_COMPONENTS)
    return (
        f"round((100.0 * ({num}) / nullif({den}, 0))::numeric, 1)::float8",
        {f"w_{k}": v for k, v in weights.items()},
    )


def _report_facts_sql(district_filter: str, buckets: str | None = None) -> str:
    """One row per report received in the range, with its area and service targets.

    `buckets` replaces the period column (the benchmark's baseline groups by day, month and
    year at once)."""
    buckets = buckets or "date_trunc(%(trunc)s, r.received_at AT TIME ZONE %(tz)s)::date AS ps"
    return f"""
    SELECT r.id, r.segment_id, r.kind, r.status, r.in_zone, r.received_at, r.confirmed_at,
           r.cleared_at, r.verified_at, r.cleared_by, r.behaviour,
           coalesce(r.trees_removed, 0) AS trees_removed,
           r.transformer_area_id AS ta_id, r.district_id, d.station_id, s.county_id,
           {buckets},
           r.kind IN ('tree', 'behaviour', 'damage', 'other') AS is_hazard,
           (r.kind = 'construction' AND (r.construction_stopped IS TRUE OR r.status = 'stopped'
              OR EXISTS (SELECT 1 FROM patrols_reportevent e
                         WHERE e.report_id = r.id AND e.to_status = 'stopped'))) AS was_stopped,
           -- The first decision on a report: its confirmation, else its current status
           -- if staff already moved it on (rejected, stopped, permitted, escalated).
           coalesce(r.confirmed_at,
                    CASE WHEN r.status <> 'submitted' THEN r.status_changed_at END) AS decided_at,
           make_interval(hours => coalesce(st.confirm_within_hours, df.confirm_within_hours,
                                           %(confirm_h)s)) AS confirm_target,
           make_interval(days => coalesce(st.clear_within_days, df.clear_within_days,
                                          %(clear_d)s)) AS clear_target
    FROM patrols_report r
    JOIN grid_district d ON d.id = r.district_id
    JOIN grid_station s ON s.id = d.station_id
    LEFT JOIN stats_servicetarget st ON st.station_id = d.station_id
    LEFT JOIN stats_servicetarget df ON df.station_id IS NULL
    WHERE r.received_at >= %(range_start)s AND r.received_at < %(range_end)s {district_filter}
    """


def _hours(expr: str) -> str:
    return f"extract(epoch FROM ({expr})) / 3600.0"


def _flow_aggregates() -> str:
    confirm_h = _hours("confirmed_at - received_at")
    clear_h = _hours("verified_at - received_at")
    behaviours = ", ".join(f"'{b}', count(*) FILTER (WHERE behaviour = '{b}')" for b in BEHAVIOURS)
    return f"""
        count(*) AS reports,
        count(*) FILTER (WHERE kind <> 'nothing_found') AS hazards_reported,
        count(*) FILTER (WHERE confirmed_at IS NOT NULL) AS confirmed,
        count(*) FILTER (WHERE status = 'rejected') AS rejected,
        count(*) FILTER (WHERE is_hazard AND cleared_at IS NOT NULL) AS cleared,
        count(*) FILTER (WHERE is_hazard AND cleared_at IS NOT NULL AND cleared_by = 'self')
            AS cleared_self,
        count(*) FILTER (WHERE is_hazard AND cleared_at IS NOT NULL AND cleared_by = 'crew')
            AS cleared_crew,
        count(*) FILTER (WHERE is_hazard AND verified_at IS NOT NULL) AS verified,
        count(*) FILTER (WHERE kind <> 'nothing_found'
                         AND status IN ('submitted', 'confirmed', 'reopened', 'escalated'))
            AS open_hazards,
        count(*) FILTER (WHERE kind <> 'nothing_found' AND in_zone
                         AND status IN ('submitted', 'confirmed', 'reopened', 'escalated'))
            AS open_in_zone,
        count(*) FILTER (WHERE kind <> 'nothing_found'
                         AND coalesce(decided_at, %(now)s) - received_at > confirm_target)
            AS overdue_confirm,
        count(*) FILTER (WHERE is_hazard AND confirmed_at IS NOT NULL
                         AND coalesce(cleared_at,
                                      CASE WHEN status = 'rejected' THEN received_at END,
                                      %(now)s) - confirmed_at > clear_target)
            AS overdue_clear,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY {confirm_h})
            FILTER (WHERE confirmed_at IS NOT NULL) AS confirm_median_h,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY {confirm_h})
            FILTER (WHERE confirmed_at IS NOT NULL) AS confirm_p90_h,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY {clear_h})
            FILTER (WHERE is_hazard AND verified_at IS NOT NULL) AS clear_median_h,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY {clear_h})
            FILTER (WHERE is_hazard AND verified_at IS NOT NULL) AS clear_p90_h,
        count(*) FILTER (WHERE kind = 'tree' AND cleared_at IS NOT NULL) AS tree_places_cleared,
        coalesce(sum(trees_removed) FILTER (WHERE kind = 'tree'), 0)::int AS trees_removed,
        count(*) FILTER (WHERE was_stopped) AS construction_stopped,
        jsonb_build_object({behaviours}) AS behaviours
    """


def _grouping(levels: list[str]) -> tuple[str, str, str]:
    """GROUPING SETS over the wanted levels, and the level/scope id expressions."""
    cols = {
        Level.TRANSFORMER_AREA: "ta_id",
        Level.DISTRICT: "district_id",
        Level.STATION: "station_id",
        Level.COUNTY: "county_id",
    }
    sets = ", ".join(f"(ps, {cols[lv]})" for lv in levels)
    level_case = (
        "CASE "
        + " ".join(f"WHEN GROUPING({cols[lv]}) = 0 THEN '{lv.value}'" for lv in levels)
        + " END"
    )
    scope = "coalesce(" + ", ".join(cols[lv] for lv in levels) + ")"
    return sets, level_case, scope


SCOPES_SQL = """
    SELECT 'transformer_area' AS level, ta.id AS scope_id, ta.name AS scope_name,
           s.county_id, s.id AS station_id, d.id AS district_id
    FROM grid_transformerarea ta JOIN grid_district d ON d.id = ta.district_id
    JOIN grid_station s ON s.id = d.station_id WHERE TRUE {ta_filter}
    UNION ALL
    SELECT 'district', d.id, d.name, s.county_id, s.id, d.id
    FROM grid_district d JOIN grid_station s ON s.id = d.station_id WHERE TRUE {d_filter}
    {upper}
"""
UPPER_SCOPES_SQL = """
    UNION ALL
    SELECT 'station', s.id, s.name, s.county_id, s.id, NULL FROM grid_station s
    UNION ALL
    SELECT 'county', c.id, c.name, c.id, NULL, NULL FROM grid_county c
"""


def _rollup(select_ta: str, levels: list[str], value_cols: str) -> str:
    """Sum per-transformer-area (or per-district) values up the levels, as (level, scope)."""
    sets, level_case, scope = _grouping(levels)
    return f"""
        SELECT {level_case} AS level, {scope} AS scope_id, ps, {value_cols}
        FROM ({select_ta}) AS x GROUP BY GROUPING SETS ({sets})
    """


def _signed_sql(district_id: int | None) -> str:
    """Steps of the count of signed households, per transformer area and month: +n in
    the month households signed in, -n in the month they ended in (none while a pledge
    is active). The month and year statements sum them along their periods.

    On aligned periods `signed < period end <= ended` is exactly "from the period it
    signed in until the period it ended in". A household's signing history is folded to
    one interval (first signed .. last ended if none is active): one that withdrew and
    signed again counts from its first pledge. An end before the start (the pledges'
    constraints do not allow it) cancels out.
    """
    area_filter = (
        "AND h.transformer_area_id IN"
        " (SELECT id FROM grid_transformerarea WHERE district_id = %(district)s)"
        if district_id
        else ""
    )
    return f"""
    SELECT ta_id, mm, sum(n) AS n
    FROM (SELECT h.transformer_area_id AS ta_id,
                 unnest(ARRAY[hs.since_mm,
                              CASE WHEN hs.until IS NOT NULL THEN greatest(
                                  date_trunc('month', hs.until AT TIME ZONE %(tz)s)::date,
                                  hs.since_mm) END]) AS mm,
                 unnest(ARRAY[1, -1]) AS n
          FROM (SELECT household_id,
                       date_trunc('month', min(signed_at) AT TIME ZONE %(tz)s)::date
                           AS since_mm,
                       CASE WHEN bool_or(status = 'active') THEN NULL
                            ELSE max(ended_at) END AS until
                FROM pledges_pledge GROUP BY household_id) AS hs
          JOIN grid_household h ON h.id = hs.household_id AND h.is_active
          WHERE TRUE {area_filter}) AS steps
    WHERE mm IS NOT NULL
    GROUP BY 1, 2
    """


def _patrols_sql(district_id: int | None) -> str:
    """The (segment, period) pairs of "segments patrolled in the last 30 days" of months
    and years: a report on a segment counts for a period when it was received in the 30
    days before the period's end. That can only be the month it falls in or the next one,
    and the year it falls in, so each report is tested against those, once for both
    kinds, with the period ends computed once per month rather than once per report.

    A grid's refresh takes the reports on its segments, wherever the report was filed.
    """
    segment_filter = (
        "AND segment_id IN (SELECT id FROM grid_segment WHERE district_id = %(district)s)"
        if district_id
        else ""
    )
    return f"""
    WITH reports AS MATERIALIZED (
        SELECT segment_id, received_at,
               date_trunc('month', received_at AT TIME ZONE %(tz)s) AS mm
        FROM patrols_report
        WHERE received_at >= %(range_start)s - interval '30 days'
          AND received_at < %(range_end)s
          AND segment_id IS NOT NULL {segment_filter}
    ),
    months AS (
        SELECT mm,
               ((mm + interval '1 month') AT TIME ZONE %(tz)s) - interval '30 days' AS own_from,
               ((mm + interval '2 month') AT TIME ZONE %(tz)s) - interval '30 days' AS next_from,
               ((date_trunc('year', mm) + interval '1 year') AT TIME ZONE %(tz)s)
                   - interval '30 days' AS year_from
        FROM (SELECT DISTINCT mm FROM reports) AS m
    )
    SELECT DISTINCT segment_id, period, ps::date AS ps FROM (
        SELECT r.segment_id, 'month' AS period, r.mm AS ps
        FROM reports r JOIN months m ON m.mm = r.mm WHERE r.received_at >= m.own_from
        UNION ALL
        SELECT r.segment_id, 'month', r.mm + interval '1 month'
        FROM reports r JOIN months m ON m.mm = r.mm WHERE r.received_at >= m.next_from
        UNION ALL
        SELECT r.segment_id, 'year', date_trunc('year', r.mm)
        FROM reports r JOIN months m ON m.mm = r.mm WHERE r.received_at >= m.year_from
    ) AS pairs
    """


def _kind_statement(
    kind: PeriodKind, first: dt.date, last: dt.date, district_id: int | None, now: dt.datetime
) -> tuple[str, dict, str]:
    """The one statement that writes a period kind's rows, its parameters, and the SQL of
    the shared denominators it reads from `stats_tmp_denoms`."""
    tz = settings.TIME_ZONE
    levels = [Level.TRANSFORMER_AREA, Level.DISTRICT]
    if district_id is None:
        levels += [Level.STATION, Level.COUNTY]
    sets, level_case, scope = _grouping(levels)
    score_sql, score_params = _score_sql()
    params: dict = {
        "trunc": kind.value,
        "tz": tz,
        "step": STEP[kind],
        "first": first,
        "last": last,
        "now": now,
        "district": district_id,
        "confirm_h": settings.STATS_CONFIRM_WITHIN_HOURS,
        "clear_d": settings.STATS_CLEAR_WITHIN_DAYS,
        "min_reports": settings.STATS_MIN_REPORTS,
        "kind": kind.value,
        **score_params,
    }
    dense = kind != PeriodKind.DAY
    scopes = SCOPES_SQL.format(
        ta_filter="AND d.id = %(district)s" if district_id else "",
        d_filter="AND d.id = %(district)s" if district_id else "",
        upper="" if district_id else UPPER_SCOPES_SQL,
    )
    hh_filter = "AND ta.district_id = %(district)s" if district_id else ""
    seg_filter = "AND sg.district_id = %(district)s" if district_id else ""

    # Denominators: households per transformer area, segments per area and grid.
    denominators = f"""
    hh AS ({
        _rollup(
            f'''
        SELECT ta.id AS ta_id, ta.district_id, d.station_id, s.county_id, NULL::date AS ps,
               count(h.id) AS n
        FROM grid_transformerarea ta JOIN grid_district d ON d.id = ta.district_id
        JOIN grid_station s ON s.id = d.station_id
        JOIN grid_household h ON h.transformer_area_id = ta.id AND h.is_active
        WHERE TRUE {hh_filter} GROUP BY ta.id, d.station_id, s.county_id''',
            levels,
            "sum(n)::int AS households",
        )
    }),
    seg AS ({
        _rollup(
            f'''
        SELECT sg.id, sg.transformer_area_id AS ta_id, sg.district_id, d.station_id,
               s.county_id, NULL::date AS ps,
               ST_Length(sg.geom::geography) AS len
        FROM grid_segment sg JOIN grid_district d ON d.id = sg.district_id
        JOIN grid_station s ON s.id = d.station_id WHERE TRUE {seg_filter}''',
            levels,
            "count(*)::int AS segments, sum(len) AS line_length_m",
        )
    })
    """

    coverage = ""
    coverage_cols = (
        "NULL::int AS households_signed, NULL::float8 AS covered_length_m, "
        "NULL::int AS front_doors_confirmed, NULL::int AS segments_patrolled_30d, "
        "NULL::int AS household_visits"
    )
    coverage_joins = ""
    if dense:
        # Stocks as of each period's end (its last day, local time). Households signed
        # come from `stats_tmp_signed` (see _signed_sql): on aligned periods a household
        # counts from the period it signed in (+n) until the period it ended in (-n).
        # Those steps, per area and period (earlier ones in the first period), are summed
        # along the periods by a window: joining every household to every period was 2.8
        # million rows and 2.4 s of a county's month statement.
        coverage = f""",
    signed AS ({
            _rollup(
                f'''
        SELECT ta.id AS ta_id, ta.district_id, d.station_id, s.county_id, p.ps,
               sum(coalesce(st.n, 0)) OVER (PARTITION BY ta.id ORDER BY p.ps) AS n
        FROM (SELECT ta_id, greatest(step_ps, %(first)s::date) AS ps, sum(n) AS n
              FROM (SELECT ta_id, date_trunc(%(trunc)s, mm::timestamp)::date AS step_ps, n
                    FROM stats_tmp_signed) AS steps
              WHERE step_ps <= %(last)s
              GROUP BY 1, 2) AS st
        RIGHT JOIN (grid_transformerarea ta CROSS JOIN periods p)
             ON st.ta_id = ta.id AND st.ps = p.ps
        JOIN grid_district d ON d.id = ta.district_id JOIN grid_station s ON s.id = d.station_id
        WHERE TRUE {hh_filter}''',
                levels,
                "sum(n)::int AS households_signed",
            )
        }),
    covered AS ({
            _rollup(
                f'''
        SELECT sg.transformer_area_id AS ta_id, sg.district_id, d.station_id, s.county_id,
               p.ps, sg.len
        -- OFFSET 0: each segment's length is computed once, not once per period.
        FROM (SELECT id, transformer_area_id, district_id, ST_Length(geom::geography) AS len
              FROM grid_segment OFFSET 0) AS sg
        JOIN grid_district d ON d.id = sg.district_id
        JOIN grid_station s ON s.id = d.station_id
        JOIN periods p ON EXISTS (
            SELECT 1 FROM pledges_assignment a
            WHERE a.segment_id = sg.id AND a.scope = 'segment' AND a.cancelled_at IS NULL
              AND a.valid_from <= p.last_day
              AND (a.valid_until IS NULL OR a.valid_until >= p.last_day))
        WHERE TRUE {seg_filter}''',
                levels,
                "sum(len) AS covered_length_m",
            )
        }),
    -- Visits by grid managers and staff to households (pledges.HouseholdVisit), a flow:
    -- counted in the period they were made in.
    visits AS ({
            _rollup(
                f'''
        SELECT h.transformer_area_id AS ta_id, ta.district_id, d.station_id, s.county_id,
               date_trunc(%(trunc)s, v.visited_on::timestamp)::date AS ps, count(*) AS n
        FROM pledges_householdvisit v
        JOIN grid_household h ON h.id = v.household_id
        JOIN grid_transformerarea ta ON ta.id = h.transformer_area_id
        JOIN grid_district d ON d.id = ta.district_id JOIN grid_station s ON s.id = d.station_id
        WHERE v.visited_on >= %(first)s
          AND v.visited_on < (%(last)s::date + %(step)s::interval) {hh_filter}
        GROUP BY 1, 2, 3, 4, 5''',
                levels,
                "sum(n)::int AS household_visits",
            )
        }),
    doors AS ({
            _rollup(
                f'''
        SELECT h.transformer_area_id AS ta_id, ta.district_id, d.station_id, s.county_id,
               p.ps, count(DISTINCT a.household_id) AS n
        FROM pledges_assignment a
        JOIN grid_household h ON h.id = a.household_id AND h.is_active
        JOIN grid_transformerarea ta ON ta.id = h.transformer_area_id
        JOIN grid_district d ON d.id = ta.district_id JOIN grid_station s ON s.id = d.station_id
        JOIN periods p ON a.valid_from <= p.last_day
             AND (a.valid_until IS NULL OR a.valid_until >= p.last_day)
        WHERE a.scope = 'front_door' AND a.cancelled_at IS NULL
          AND a.front_door_state IN ('confirmed', 'adjusted') {hh_filter}
        GROUP BY 1, 2, 3, 4, 5''',
                levels,
                "sum(n)::int AS front_doors_confirmed",
            )
        }),
    -- The (segment, period) pairs come from `stats_tmp_patrols` (see _patrols_sql),
    -- distinct already, so the areas count rows (hashed) instead of sorting each level's
    -- rows for a count(DISTINCT): 0.95 s of the month statement before, 0.5 s of the year.
    patrolled AS (
        SELECT {level_case} AS level, {scope} AS scope_id, ps,
               count(*)::int AS segments_patrolled_30d
        FROM (SELECT sp.segment_id, sg.transformer_area_id AS ta_id, sg.district_id,
                     d.station_id, s.county_id, sp.ps
              FROM stats_tmp_patrols sp
              JOIN grid_segment sg ON sg.id = sp.segment_id
              JOIN grid_district d ON d.id = sg.district_id
              JOIN grid_station s ON s.id = d.station_id
              WHERE sp.period = %(kind)s AND sp.ps BETWEEN %(first)s AND %(last)s
                {seg_filter}) AS x
        GROUP BY GROUPING SETS ({sets}))
    """
        coverage_cols = (
            "coalesce(sg2.households_signed, 0) AS households_signed, "
            "coalesce(cv.covered_length_m, 0) AS covered_length_m, "
            "coalesce(dr.front_doors_confirmed, 0) AS front_doors_confirmed, "
            "coalesce(pt.segments_patrolled_30d, 0) AS segments_patrolled_30d, "
            "coalesce(vi.household_visits, 0) AS household_visits"
        )
        coverage_joins = """
        LEFT JOIN signed sg2 ON sg2.level = b.level AND sg2.scope_id = b.scope_id AND sg2.ps = b.ps
        LEFT JOIN covered cv ON cv.level = b.level AND cv.scope_id = b.scope_id AND cv.ps = b.ps
        LEFT JOIN visits vi ON vi.level = b.level AND vi.scope_id = b.scope_id AND vi.ps = b.ps
        LEFT JOIN doors dr ON dr.level = b.level AND dr.scope_id = b.scope_id AND dr.ps = b.ps
        LEFT JOIN patrolled pt ON pt.level = b.level AND pt.scope_id = b.scope_id AND pt.ps = b.ps
        """

    # Dense kinds get a row for every area and period (a quiet month is a real zero); day
    # rows exist only where something was reported that day.
    if dense:
        from_clause = """(SELECT sc.*, p.ps FROM scopes sc CROSS JOIN periods p) AS b
        LEFT JOIN flows f ON f.level = b.level AND f.scope_id = b.scope_id AND f.ps = b.ps"""
        ps = "b.ps"
    else:
        # Joining the flows back a second time made a 22-million-row merge: read them once.
        from_clause = "flows f JOIN scopes b ON b.level = f.level AND b.scope_id = f.scope_id"
        ps = "f.ps"
    flow_cols = (
        "reports", "hazards_reported", "confirmed", "rejected", "cleared", "cleared_self",
        "cleared_crew", "verified", "open_hazards", "open_in_zone", "overdue_confirm",
        "overdue_clear", "tree_places_cleared", "trees_removed", "construction_stopped",
    )  # fmt: skip
    flow_select = ", ".join(f"coalesce(f.{c}, 0) AS {c}" for c in flow_cols)

    existing_filter = "s.period = %(kind)s AND s.period_start BETWEEN %(first)s AND %(last)s" + (
        " AND s.district_id = %(district)s" if district_id else ""
    )
    sql = f"""
    WITH periods AS (
        SELECT ps::date AS ps,
               (ps + %(step)s::interval)::date - 1 AS last_day,
               ((ps + %(step)s::interval)::timestamp AT TIME ZONE %(tz)s) AS pe_ts
        FROM generate_series(%(first)s::date, %(last)s::date, %(step)s::interval) AS ps
    ),
    flows AS (SELECT * FROM stats_tmp_flows WHERE period = %(kind)s),
    scopes AS ({scopes}){coverage},
    assembled AS (
        SELECT b.level, b.scope_id, b.scope_name, b.county_id, b.station_id, b.district_id,
               {ps} AS ps,
               coalesce(dn.households, 0) AS households,
               coalesce(dn.segments, 0) AS segments,
               coalesce(dn.line_length_m, 0) AS line_length_m,
               {coverage_cols},
               {flow_select},
               f.confirm_median_h, f.confirm_p90_h, f.clear_median_h, f.clear_p90_h,
               coalesce(f.behaviours, '{{}}'::jsonb) AS behaviours
        FROM {from_clause}
        LEFT JOIN stats_tmp_denoms dn ON dn.level = b.level AND dn.scope_id = b.scope_id
        {coverage_joins}
    ),
    rated AS (
        SELECT a.*,
               CASE WHEN households > 0 THEN households_signed::float8 / households END
                   AS pledge_rate,
               CASE WHEN line_length_m > 0 THEN least(covered_length_m / line_length_m, 1) END
                   AS responsibility_rate,
               CASE WHEN segments > 0 THEN segments_patrolled_30d::float8 / segments END
                   AS patrol_coverage,
               CASE WHEN confirmed > 0 THEN verified::float8 / confirmed ELSE 1 END
                   AS resolution_rate,
               CASE WHEN hazards_reported > 0
                    THEN greatest(0, 1 - (overdue_confirm + overdue_clear)::float8
                                         / (hazards_reported + confirmed))
                    ELSE 1 END AS timeliness
        FROM assembled a
    ),
    new AS (
        SELECT level, scope_id, scope_name, county_id, station_id, district_id,
               %(kind)s::varchar AS period, ps AS period_start,
               households, segments, line_length_m, households_signed, covered_length_m,
               front_doors_confirmed, segments_patrolled_30d, household_visits,
               {", ".join(flow_cols)},
               confirm_median_h, confirm_p90_h, clear_median_h, clear_p90_h, behaviours,
               CASE WHEN %(dense)s THEN {score_sql} END AS score,
               reports >= %(min_reports)s AS enough_data
        FROM rated
    ),
    -- Rows whose figures did not change are left alone (their computed_at says when the
    -- figures were last computed differently; the run log says when they were checked):
    -- rewriting a county's unchanged history every hour is most of the cost otherwise.
    -- The old rows of the range are compared in one hash join rather than probed one by
    -- one through the unique index (ON CONFLICT): 2.2 s of a 7.4 s day run otherwise.
    -- `existing` is read once, by the join (not stored first: 0.4 s of the day run), and
    -- `diff` keeps only the rows to write or delete: unchanged rows, most of a re-run,
    -- are not stored a second time either.
    existing AS (
        SELECT s.id, {", ".join(f"s.{c}" for c in TABLE_COLS)}
        FROM stats_snapshot s WHERE {existing_filter}
    ),
    diff AS MATERIALIZED (
        SELECT n.*, e.id AS existing_id
        FROM new n FULL JOIN existing e ON e.level = n.level AND e.scope_id = n.scope_id
             AND e.period_start = n.period_start
        WHERE e.id IS NULL OR n.level IS NULL
           OR ({", ".join(f"e.{c}" for c in COMPARED_COLS)}) IS DISTINCT FROM
              ({", ".join(f"n.{c}" for c in COMPARED_COLS)})
    ),
    inserted AS (
        INSERT INTO stats_snapshot ({", ".join(TABLE_COLS)}, computed_at, run_id)
        SELECT {", ".join(TABLE_COLS)}, %(now)s, %(run)s FROM diff
        WHERE existing_id IS NULL
        -- A concurrent run (the hourly one and a grid's debounced one) may have added the
        -- row since this statement's snapshot: the later figures win, no error.
        ON CONFLICT (level, scope_id, period, period_start) DO UPDATE
        SET {", ".join(f"{c} = EXCLUDED.{c}" for c in TABLE_COLS)},
            computed_at = EXCLUDED.computed_at, run_id = EXCLUDED.run_id
        RETURNING 1
    ),
    updated AS (
        UPDATE stats_snapshot s
        SET {", ".join(f"{c} = d.{c}" for c in TABLE_COLS)},
            computed_at = %(now)s, run_id = %(run)s
        FROM diff d
        WHERE d.existing_id = s.id AND d.level IS NOT NULL
          -- The rows to change are found through the primary key: a hash join read the
          -- whole table (215k rows, 0.2 s per kind) to update a handful.
          AND s.id = ANY (ARRAY(SELECT existing_id FROM diff
                                WHERE level IS NOT NULL AND existing_id IS NOT NULL))
        RETURNING 1
    ),
    -- Rows of this range that the sources no longer produce (a day whose only report was
    -- moved to another grid): gone, so that a re-run equals a first run.
    deleted AS (
        DELETE FROM stats_snapshot s
        WHERE s.id = ANY (ARRAY(SELECT existing_id FROM diff WHERE level IS NULL))
        RETURNING 1
    ),
    upserted AS (SELECT 1 FROM inserted UNION ALL SELECT 1 FROM updated)
    SELECT (SELECT count(*) FROM upserted), (SELECT count(*) FROM deleted),
           -- The rows produced: the old ones (the statement sees the table as it was
           -- before its writes), less those deleted, plus those added. Not counted from
           -- `new`, which would then be stored to be read twice.
           (SELECT count(*) FROM stats_snapshot s WHERE {existing_filter})
           - (SELECT count(*) FROM diff WHERE level IS NULL)
           + (SELECT count(*) FROM diff WHERE existing_id IS NULL)
    """

    range_start = _local_midnight(first)
    range_end = _local_midnight(_next_start(kind, last))
    params.update(range_start=range_start, range_end=range_end, dense=dense)
    return sql, params, denominators


BUCKET = {PeriodKind.DAY: "dd", PeriodKind.MONTH: "mm", PeriodKind.YEAR: "yy"}
FACT_BUCKETS = (
    "date_trunc('day', r.received_at AT TIME ZONE %(tz)s)::date AS dd, "
    "date_trunc('month', r.received_at AT TIME ZONE %(tz)s)::date AS mm, "
    "date_trunc('year', r.received_at AT TIME ZONE %(tz)s)::date AS yy"
)


def _flows_sql(
    spans: list[tuple[PeriodKind, dt.date, dt.date]], levels: list[str], chained: set[PeriodKind]
) -> str:
    """The report flows of every kind and level, the `chained` kinds in ONE aggregate.

    A day lies in one month and a month in one year, so an area's year, month and day sets
    nest, (area, yy) < (area, yy, mm) < (area, yy, mm, dd), and PostgreSQL computes each
    such chain from one sort: four sorts of the facts instead of twelve (one per kind and
    level), a third of the aggregation of a year's back-fill. The groups are the same as
    grouping by (period, area) alone, so are the figures. In that pass every fact feeds
    every chained kind, so a fact outside a kind's range has its period column emptied
    (one leftover group per area, dropped) and a kind most of whose facts lie outside its
    range (today's rows in an hourly refresh over this year's facts) is grouped on its
    own, from its own facts, as before.
    """
    cols = {
        Level.TRANSFORMER_AREA: "ta_id",
        Level.DISTRICT: "district_id",
        Level.STATION: "station_id",
        Level.COUNTY: "county_id",
    }
    _sets, level_case, scope = _grouping(levels)
    parts = []
    for k, _f, _l in spans:
        if k not in chained:
            b = BUCKET[k]
            parts.append(f"""
        SELECT '{k.value}' AS period, {level_case} AS level, {scope} AS scope_id, {b} AS ps,
               {_flow_aggregates()}
        FROM stats_tmp_facts WHERE {b} BETWEEN %(first_{k.value})s AND %(last_{k.value})s
        GROUP BY GROUPING SETS ({", ".join(f"({b}, {cols[lv]})" for lv in levels)})""")
    kinds = [k for k in (PeriodKind.DAY, PeriodKind.MONTH, PeriodKind.YEAR) if k in chained]
    if kinds:
        # p_dd, p_mm, p_yy: the period columns, emptied outside a chained kind's range.
        period_cols = ", ".join(
            f"CASE WHEN {b} BETWEEN %(first_{k.value})s AND %(last_{k.value})s THEN {b} END"
            f" AS p_{b}"
            if k in chained
            else f"{b} AS p_{b}"
            for k, b in BUCKET.items()
        )
        prefix = {
            PeriodKind.YEAR: "p_yy",
            PeriodKind.MONTH: "p_yy, p_mm",
            PeriodKind.DAY: "p_yy, p_mm, p_dd",
        }
        sets = ", ".join(f"({cols[lv]}, {prefix[k]})" for lv in levels for k in kinds)
        # A set's kind is its finest period column (GROUPING() only takes grouped columns).
        finest = [(k.value, f"p_{BUCKET[k]}") for k in kinds]
        in_range = " OR ".join(
            f"(period = '{k}' AND ps BETWEEN %(first_{k})s AND %(last_{k})s)" for k, _b in finest
        )
        parts.append(f"""
        SELECT * FROM (
            SELECT CASE {" ".join(f"WHEN GROUPING({b}) = 0 THEN '{k}'" for k, b in finest)}
                   END AS period,
                   {level_case} AS level, {scope} AS scope_id,
                   CASE {" ".join(f"WHEN GROUPING({b}) = 0 THEN {b}" for _k, b in finest)}
                   END AS ps,
                   {_flow_aggregates()}
            FROM (SELECT f.*, {period_cols} FROM stats_tmp_facts f) AS facts
            GROUP BY GROUPING SETS ({sets})
        ) AS f
        WHERE {in_range}""")
    return "\n        UNION ALL".join(parts)


def compute_snapshots(
    *,
    kind: str,
    first: dt.date,
    last: dt.date | None = None,
    district_id: int | None = None,
    now: dt.datetime | None = None,
) -> RunResult:
    """Compute and store the snapshots of every period of `kind` from `first` to `last`."""
    return compute_kinds(kinds=[kind], first=first, last=last, district_id=district_id, now=now)[0]


def compute_kinds(
    *,
    kinds: list[str],
    first: dt.date,
    last: dt.date | None = None,
    district_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[RunResult]:
    """Every period of each kind between two dates, in ONE transaction.

    The reports of the whole range are read once into a temporary table with their day,
    month and year, their flows for every kind are grouped once (see _flows_sql) and the
    denominators are computed once; each kind's statement then reads those (reading the
    reports three times was a third of a county-wide run).
    """
    now = now or timezone.now()
    last = last or first
    spans = []
    for k in kinds:
        k = PeriodKind(k)
        spans.append((k, period_start(k, first), period_start(k, last)))
    levels = [Level.TRANSFORMER_AREA, Level.DISTRICT]
    if district_id is None:
        levels += [Level.STATION, Level.COUNTY]
    started_at = timezone.now()
    results: list[RunResult] = []
    runs: list[SnapshotRun] = []
    try:
        with transaction.atomic(), connection.cursor() as cur:
            # JIT compiling these statements' ~100 expressions took 7 s of a 20 s run on a
            # county (docs/benchmarks.md), more than it saved; sorts for the medians fit
            # in memory with a larger work_mem. All only for this transaction.
            cur.execute("SET LOCAL jit = off")
            cur.execute("SET LOCAL work_mem = '64MB'")
            # The CTEs' row estimates are guesses, and a guess of "few rows" made the
            # planner join 165k day rows to the denominators by nested loops (minutes) or
            # sort them to disk for a merge join; every join here is an equality join on a
            # small side (areas, periods) that a hash join does in one pass.
            cur.execute("SET LOCAL enable_nestloop = off")
            cur.execute("SET LOCAL enable_mergejoin = off")
            shared = {
                "tz": settings.TIME_ZONE,
                "district": district_id,
                "confirm_h": settings.STATS_CONFIRM_WITHIN_HOURS,
                "clear_d": settings.STATS_CLEAR_WITHIN_DAYS,
                "range_start": _local_midnight(min(f for _k, f, _l in spans)),
                "range_end": _local_midnight(max(_next_start(k, lst) for k, _f, lst in spans)),
            }
            district_filter = "AND r.district_id = %(district)s" if district_id else ""
            # ON COMMIT DROP does not fire when this block is a savepoint inside a longer
            # transaction (tests, a caller's atomic block): start clean either way.
            cur.execute(
                "DROP TABLE IF EXISTS stats_tmp_facts, stats_tmp_flows, stats_tmp_denoms,"
                " stats_tmp_signed, stats_tmp_patrols"
            )
            cur.execute(
                "CREATE TEMP TABLE stats_tmp_facts ON COMMIT DROP AS "
                + _report_facts_sql(district_filter, FACT_BUCKETS),
                shared,
            )
            # No ANALYZE of the temporary tables: one aggregate reads the facts whole,
            # sorted whatever the estimates, and every later join is a hash join anyway
            # (below). Analysing the flows cost 0.1 s and made the day statement slower.
            ranges = {
                **{f"first_{k.value}": f for k, f, _l in spans},
                **{f"last_{k.value}": lst for k, _f, lst in spans},
            }
            # Which kinds share the one-pass aggregate: those with at most a tenth of the
            # facts outside their range (a back-fill), see _flows_sql.
            cur.execute(
                "SELECT count(*), "
                + ", ".join(
                    f"count(*) FILTER (WHERE {BUCKET[k]} NOT BETWEEN %(first_{k.value})s"
                    f" AND %(last_{k.value})s)"
                    for k, _f, _l in spans
                )
                + " FROM stats_tmp_facts",
                ranges,
            )
            total, *outside = cur.fetchone()
            chained = {k for (k, _f, _l), n in zip(spans, outside, strict=True) if n <= 0.1 * total}
            cur.execute(
                "CREATE TEMP TABLE stats_tmp_flows ON COMMIT DROP AS "
                + _flows_sql(spans, levels, chained),
                {"now": now, **ranges},
            )
            for k, f, lst in spans:
                started = time.perf_counter()
                sql, params, denominators = _kind_statement(k, f, lst, district_id, now)
                if not runs:
                    cur.execute(
                        f"""CREATE TEMP TABLE stats_tmp_denoms ON COMMIT DROP AS
                        WITH {denominators}
                        SELECT coalesce(hh.level, seg.level) AS level,
                               coalesce(hh.scope_id, seg.scope_id) AS scope_id,
                               coalesce(hh.households, 0) AS households,
                               coalesce(seg.segments, 0) AS segments,
                               coalesce(seg.line_length_m, 0) AS line_length_m
                        FROM hh FULL JOIN seg ON seg.level = hh.level
                             AND seg.scope_id = hh.scope_id""",
                        params,
                    )
                    cur.execute("ANALYZE stats_tmp_denoms")
                if not runs and any(kind != PeriodKind.DAY for kind, _f, _l in spans):
                    # Month and year rows count signed households and patrolled segments
                    # from these, read once (the fold reads every pledge: 0.5 s on a
                    # county), not once per kind.
                    cur.execute(
                        "CREATE TEMP TABLE stats_tmp_signed ON COMMIT DROP AS "
                        + _signed_sql(district_id),
                        shared,
                    )
                    cur.execute(
                        "CREATE TEMP TABLE stats_tmp_patrols ON COMMIT DROP AS "
                        + _patrols_sql(district_id),
                        shared,
                    )
                run = SnapshotRun.objects.create(
                    period=k, first_start=f, last_start=lst, district_id=district_id,
                    status=SnapshotRun.Status.DONE, started_at=timezone.now(),
                )  # fmt: skip
                runs.append(run)
                params["run"] = run.pk
                cur.execute(sql, params)
                changed, deleted, produced = cur.fetchone()
                if _after_write_hook is not None:
                    _after_write_hook()
                run.source = {**_source_marks(cur), "changed": changed, "deleted": deleted}
                run.rows = produced
                run.duration_ms = int((time.perf_counter() - started) * 1000)
                run.save(update_fields=["rows", "duration_ms", "source"])
                results.append(RunResult(rows=run.rows, duration_ms=run.duration_ms, run_id=run.pk))
    except Exception as exc:
        # The transaction above rolled back; the failure itself is kept for the admin.
        for k, f, lst in spans:
            SnapshotRun.objects.create(
                period=k, first_start=f, last_start=lst, district_id=district_id,
                status=SnapshotRun.Status.FAILED, started_at=started_at,
                error=repr(exc)[:2000],
            )  # fmt: skip
        raise
    return results


def _source_marks(cur) -> dict:
    """What the snapshot was computed from: row counts and highest ids of the sources."""
    cur.execute(
        """SELECT (SELECT count(*) FROM patrols_report), (SELECT max(id) FROM patrols_report),
                  (SELECT max(id) FROM patrols_reportevent), (SELECT max(id) FROM pledges_pledge),
                  (SELECT max(id) FROM pledges_assignment),
                  (SELECT max(id) FROM pledges_householdvisit)"""
    )
    n, max_report, max_event, max_pledge, max_assignment, max_visit = cur.fetchone()
    return {
        "reports_total": n,
        "max_report_id": max_report,
        "max_event_id": max_event,
        "max_pledge_id": max_pledge,
        "max_assignment_id": max_assignment,
        "max_visit_id": max_visit,
    }


def _next_start(kind: str, start: dt.date) -> dt.date:
    if kind == PeriodKind.YEAR:
        return start.replace(year=start.year + 1)
    if kind == PeriodKind.MONTH:
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=1)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
