"""The snapshot computation: set-based SQL in PostGIS, one transaction per refresh.

A refresh covers one or more period kinds (day, month, year, and the previous month to the
same day: "mtd") over a range of periods, for the whole county or for one service grid. Per
kind, one statement computes the new set and, in the same statement, inserts new rows,
updates rows whose figures changed and deletes rows the sources no longer produce; all
kinds commit together, so

- re-running gives the same rows (nothing is added to a running total),
- a worker killed mid-run rolls back and leaves the previous complete set,
- readers never see a half-written set (MVCC: they read the old rows until COMMIT).

What each figure means is NOT written here: the SQL below is generated from the
definitions in `patrols.figures` (flows, stocks, segments patrolled), `pledges.figures`
(signed households, assignments in force, front doors, rates) and `stats.figures` (score),
which the live counts and the coverage pages render as Django queries. Here:

- flows group the reports *received* in the period with GROUPING SETS, so one scan of the
  reports yields the transformer-area, district, station and county rows together
  (medians and 90th percentiles cannot be added up from smaller areas);
- stocks are taken at each period's *as-of* instant (its end, or now while it runs): every
  report's status history (its events) and every household's signed stretches become +1/-1
  steps at the first as-of instant they reach, summed along the instants by a window; so
  an open hazard reported in April is still open in November's row;
- the compliance score is computed in the same statement from settings.STATS_SCORE_WEIGHTS.

Each kind appends a SnapshotRun (when, as of when, how long, the sources' row counts and
highest ids, rows changed); a row's `computed_at`/`run` say when its figures last changed.
"""

from __future__ import annotations

# The SQL is assembled from fragments written in this module and in the figures modules
# (level names, column names, conditions on the models' constants, GROUPING SETS); every
# value (dates, ids, weights, targets) is a bound query parameter.
# ruff: noqa: S608
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from patrols import figures as pf
from patrols.models import Report, ReportEvent
from pledges import figures as plf
from pledges.models import Assignment, HouseholdVisit, Pledge

from .figures import SCORE_COMPONENTS
from .models import Level, PeriodKind, SnapshotRun

STEP = {
    PeriodKind.DAY: "1 day",
    PeriodKind.MONTH: "1 month",
    PeriodKind.YEAR: "1 year",
    PeriodKind.MONTH_TO_DATE: "1 month",
}
# Kinds with a row for every area and period (a quiet month is a real zero) and stocks.
DENSE = (PeriodKind.MONTH, PeriodKind.YEAR, PeriodKind.MONTH_TO_DATE)
REPORTS = Report._meta.db_table
EVENTS = ReportEvent._meta.db_table
ASSIGNMENTS = Assignment._meta.db_table
VISITS = HouseholdVisit._meta.db_table
PLEDGES = Pledge._meta.db_table

# Tests replace this to simulate a worker dying after the write, before the commit.
_after_write_hook: Callable[[], None] | None = None

FLOW_COLS = tuple(pf.FLOW_KEYS)
DURATION_COLS = tuple(pf.duration_keys())
STOCK_COLS = tuple(pf.STOCK_KEYS)
TABLE_COLS = (
    "level", "scope_id", "scope_name", "county_id", "station_id", "district_id", "period",
    "period_start", "as_of", "households", "segments", "line_length_m", "households_signed",
    "covered_length_m", "front_doors_confirmed", "segments_patrolled_30d", "household_visits",
    *FLOW_COLS, *STOCK_COLS, *DURATION_COLS, "behaviours", "score", "enough_data",
)  # fmt: skip

# A matched pair is equal on the join key (level, scope, period start) and the period kind
# by construction: only the other columns are compared.
COMPARED_COLS = tuple(
    c for c in TABLE_COLS if c not in ("level", "scope_id", "period", "period_start")
)


ALL_LEVELS = (Level.TRANSFORMER_AREA, Level.DISTRICT, Level.STATION, Level.COUNTY)


@dataclass(frozen=True)
class Part:
    """A share of a refresh: the rows of `levels` for the grids `district_ids` (None:
    everything) and their areas, and for the stations `station_ids` and counties
    `county_ids` if those levels are in. A whole refresh is one part with every level;
    `stats.fanout` splits it into parts that Celery runs side by side, each in a
    transaction of its own. A part reads only its grids' reports, events, pledges and
    segments, so a station's or county's row is right when the part holds every grid
    under it (a station without grids still gets its row of zeros)."""

    levels: tuple[str, ...] = ALL_LEVELS
    district_ids: tuple[int, ...] | None = None
    station_ids: tuple[int, ...] = ()
    county_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        # From a task's JSON arguments: strings and lists. Level members, in the order of
        # ALL_LEVELS (the grouping sets' order), and a tuple of ints.
        levels = tuple(lv for lv in ALL_LEVELS if lv in {Level(x) for x in self.levels})
        object.__setattr__(self, "levels", levels)
        if self.district_ids is not None:
            object.__setattr__(self, "district_ids", tuple(int(d) for d in self.district_ids))
        object.__setattr__(self, "station_ids", tuple(int(d) for d in self.station_ids))
        object.__setattr__(self, "county_ids", tuple(int(d) for d in self.county_ids))

    def params(self) -> dict:
        """The part's filters as query parameters (%(districts)s, %(stations)s, ...)."""
        return {
            "districts": None if self.district_ids is None else list(self.district_ids),
            "stations": list(self.station_ids),
            "counties": list(self.county_ids),
            "levels": [lv.value for lv in self.levels],
        }

    @classmethod
    def district(cls, district_id: int) -> Part:
        """One grid's debounced refresh: its transformer areas and itself."""
        return cls((Level.TRANSFORMER_AREA, Level.DISTRICT), (int(district_id),))

    @property
    def single_district(self) -> int | None:
        ids = self.district_ids
        return ids[0] if ids is not None and len(ids) == 1 else None


@dataclass(frozen=True)
class RunResult:
    rows: int
    duration_ms: int
    run_id: int


def period_start(kind: str, day: dt.date) -> dt.date:
    if kind == PeriodKind.YEAR:
        return day.replace(month=1, day=1)
    if kind in (PeriodKind.MONTH, PeriodKind.MONTH_TO_DATE):
        return day.replace(day=1)
    return day


def previous_month_window(now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The previous month up to the same point as the running month: its start and its
    end (the same time after its start as `now` is after this month's, at most its end)."""
    today = timezone.localdate(now)
    this_start = today.replace(day=1)
    prev_start = (this_start - dt.timedelta(days=1)).replace(day=1)
    elapsed = now - _local_midnight(this_start)
    return prev_start, min(_local_midnight(prev_start) + elapsed, _local_midnight(this_start))


def _score_sql() -> tuple[str, dict]:
    """Weighted mean of the available rates, x100; components without data drop out."""
    keys = [c.key for c in SCORE_COMPONENTS]
    weights = {k: float(settings.STATS_SCORE_WEIGHTS.get(k, 0)) for k in keys}
    num = " + ".join(f"coalesce(%(w_{k})s * {k}, 0)" for k in keys)
    den = " + ".join(f"(CASE WHEN {k} IS NULL THEN 0 ELSE %(w_{k})s END)" for k in keys)
    return (
        f"round((100.0 * ({num}) / nullif({den}, 0))::numeric, 1)::float8",
        {f"w_{k}": v for k, v in weights.items()},
    )


def _report_facts_sql(district_filter: str, buckets: str | None = None) -> str:
    """One row per report received in the range, with its area and, evaluated once, the
    conditions and hours of the figures (patrols.figures.fact_sql).

    `buckets` replaces the period column (the benchmark's baseline groups by day, month and
    year at once)."""
    buckets = buckets or "date_trunc(%(trunc)s, r.received_at AT TIME ZONE %(tz)s)::date AS ps"
    facts = ",\n           ".join(f"{sql} AS {col}" for col, sql in pf.fact_sql("r"))
    return f"""
    SELECT r.id, {facts},
           r.transformer_area_id AS ta_id, r.district_id, d.station_id, s.county_id,
           {buckets}
    FROM {REPORTS} r
    JOIN grid_district d ON d.id = r.district_id
    JOIN grid_station s ON s.id = d.station_id
    WHERE r.{pf.PERIOD_FIELD} >= %(range_start)s AND r.{pf.PERIOD_FIELD} < %(range_end)s
          {district_filter}
    """


def _flow_aggregates() -> str:
    """The flows and durations of patrols.figures, as aggregates over the facts."""
    return ",\n        ".join(
        f"{sql} AS {key}" for key, sql in (*pf.flow_sql(), *pf.duration_sql())
    )


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


SCOPES_SQL = {
    Level.TRANSFORMER_AREA: """
    SELECT 'transformer_area' AS level, ta.id AS scope_id, ta.name AS scope_name,
           s.county_id, s.id AS station_id, d.id AS district_id
    FROM grid_transformerarea ta JOIN grid_district d ON d.id = ta.district_id
    JOIN grid_station s ON s.id = d.station_id WHERE TRUE {filter}""",
    Level.DISTRICT: """
    SELECT 'district' AS level, d.id AS scope_id, d.name AS scope_name, s.county_id,
           s.id AS station_id, d.id AS district_id
    FROM grid_district d JOIN grid_station s ON s.id = d.station_id WHERE TRUE {filter}""",
    Level.STATION: """
    SELECT 'station' AS level, s.id AS scope_id, s.name AS scope_name, s.county_id,
           s.id AS station_id, NULL::bigint AS district_id FROM grid_station s
    WHERE TRUE {filter}""",
    Level.COUNTY: """
    SELECT 'county' AS level, c.id AS scope_id, c.name AS scope_name, c.id AS county_id,
           NULL::bigint AS station_id, NULL::bigint AS district_id
    FROM grid_county c WHERE TRUE {filter}""",
}
# The areas of each level that lie over a part's districts (%(districts)s).
SCOPE_FILTERS = {
    Level.TRANSFORMER_AREA: "AND d.id = ANY(%(districts)s::bigint[])",
    Level.DISTRICT: "AND d.id = ANY(%(districts)s::bigint[])",
    Level.STATION: "AND s.id = ANY(%(stations)s::bigint[])",
    Level.COUNTY: "AND c.id = ANY(%(counties)s::bigint[])",
}
# A part's existing rows: those of its levels over its districts.
EXISTING_FILTERS = {
    Level.TRANSFORMER_AREA: "s.district_id = ANY(%(districts)s::bigint[])",
    Level.DISTRICT: "s.district_id = ANY(%(districts)s::bigint[])",
    Level.STATION: "s.station_id = ANY(%(stations)s::bigint[])",
    Level.COUNTY: "s.county_id = ANY(%(counties)s::bigint[])",
}


def _scopes_sql(part: Part) -> str:
    return "\n    UNION ALL".join(
        SCOPES_SQL[lv].format(filter=SCOPE_FILTERS[lv] if part.district_ids is not None else "")
        for lv in part.levels
    )


def _rollup(select_ta: str, levels: list[str], value_cols: str) -> str:
    """Sum per-transformer-area (or per-district) values up the levels, as (level, scope)."""
    sets, level_case, scope = _grouping(levels)
    return f"""
        SELECT {level_case} AS level, {scope} AS scope_id, ps, {value_cols}
        FROM ({select_ta}) AS x GROUP BY GROUPING SETS ({sets})
    """


# Bits per mask: a bigint holds 63 usable bits; more instants take more masks.
MASK_BITS = 62


def _part_households_filter(part: Part, column: str) -> str:
    """`AND <column> IN (the part's households)`, or nothing for a whole refresh: a part's
    pledges or visits selected through its households before anything is joined to them
    (read whole, a grid's refresh went through every row of the county)."""
    if part.district_ids is None:
        return ""
    return (
        f"AND {column} IN (SELECT hp.id FROM grid_household hp"
        " JOIN grid_transformerarea tp ON tp.id = hp.transformer_area_id"
        " WHERE tp.district_id = ANY(%(districts)s::bigint[]))"
    )


def _households_at_instants_sql(part: Part, n_instants: int, covering: str, column: str) -> str:
    """Per (grid, transformer area, k): the part's active households that some row of
    `covering` (household_id, k_first, k_last: the row holds at the instants k_first..k_last)
    holds at the k-th as-of instant. A household's rows are OR-ed into one bit mask per
    household (a renewal signed before the old pledge ended counts once), and each area
    counts the households with bit k set, in one aggregate. No sort of the rows, no join of
    households to periods (2.8 million rows for a county's months, once)."""
    household_filter = (
        "AND ta.district_id = ANY(%(districts)s::bigint[])" if part.district_ids is not None else ""
    )
    chunks = range((n_instants + MASK_BITS - 1) // MASK_BITS)
    masks, ors, counts = [], [], []
    for c in chunks:
        lo, hi = c * MASK_BITS + 1, (c + 1) * MASK_BITS  # the instants of this mask
        # Bits (max(first, lo) - lo) .. (min(last, hi) - lo), empty when they cross.
        a, b = f"greatest(k_first, {lo}) - {lo}", f"least(k_last, {hi}) - {lo}"
        masks.append(
            f"CASE WHEN {a} <= {b} THEN ((1::bigint << ({b} + 1)) - 1)"
            f" # ((1::bigint << ({a})) - 1) ELSE 0 END AS m{c}"
        )
        ors.append(f"bit_or(m{c}) AS m{c}")
        for k in range(lo, min(hi, n_instants) + 1):
            counts.append(f"count(*) FILTER (WHERE m{c} & {1 << (k - lo)}::bigint <> 0)")
    return f"""
    SELECT ta.district_id, h.transformer_area_id AS ta_id,
           unnest(ARRAY[{", ".join(counts)}]) AS {column},
           generate_series(1, %(n_instants)s) AS k
    FROM (SELECT household_id, {", ".join(ors)}
          FROM (SELECT household_id, {", ".join(masks)} FROM ({covering}) AS c) AS m
          GROUP BY household_id) AS hm
    JOIN grid_household h ON h.id = hm.household_id AND h.is_active
    JOIN grid_transformerarea ta ON ta.id = h.transformer_area_id
    WHERE TRUE {household_filter}
    GROUP BY ta.district_id, h.transformer_area_id
    """


def _signed_sql(part: Part, n_instants: int) -> str:
    """Households signed at every as-of instant (pledges.figures): each pledge holds at
    the instants from `first` to `last`."""
    first, last = plf.pledge_in_force_instants_sql("p", "%(instants)s", "%(n_instants)s")
    # A part's pledges only, before the per-household fold.
    pledges = f"""
        SELECT p.household_id, {first} AS k_first, {last} AS k_last
        FROM {PLEDGES} p
        WHERE (p.ended_at IS NULL OR p.ended_at >= %(first_instant)s)
          AND p.signed_at < %(last_instant)s {_part_households_filter(part, "p.household_id")}"""
    return _households_at_instants_sql(part, n_instants, pledges, "households_signed")


def _front_doors_sql(part: Part, n_instants: int) -> str:
    """Households whose front door (门前) someone answers for, confirmed, at every as-of
    instant: each such assignment holds on the as-of days (`%(days)s`, one per instant)
    from `first` to `last` (pledges.figures). Counted per instant once for every period
    kind, instead of joining every assignment to every period of each kind (0.5 s of a
    county's month statement, docs/benchmarks.md M6)."""
    first, last = plf.assignment_in_force_days_sql("a", "%(days)s", "%(n_instants)s")
    assignments = f"""
        SELECT a.household_id, {first} AS k_first, {last} AS k_last
        FROM {ASSIGNMENTS} a
        WHERE {plf.scope_sql("a", "front_door")} AND {plf.FRONT_DOOR_CONFIRMED.sql("a")}
          AND a.cancelled_at IS NULL
          AND (a.valid_until IS NULL OR a.valid_until >= %(first_day)s)
          AND a.valid_from <= %(last_day)s {_part_households_filter(part, "a.household_id")}"""
    return _households_at_instants_sql(part, n_instants, assignments, "front_doors_confirmed")


def _stock_steps_sql(part: Part, n_instants: int) -> str:
    """The stocks of patrols.figures and the signed households of pledges.figures at every
    as-of instant (numbered k = 1..n in time order), per (grid, transformer area, k).

    Reports, as steps: the +1s of the status intervals that start counting at instant k
    and the -1s of those that stop. An interval (since, until) counts at the as-of instant
    T when since < T <= until; `width_bucket(x, instants)` is the number of instants <= x,
    so the interval counts for k from width_bucket(since) + 1 to width_bucket(until).
    Summed along k (a window over a handful of instants per area) the steps give every
    stock at every instant. A report's status intervals are its events, each lasting until
    the next one. Only two kinds of reports can count at an instant of the range: those in a
    stock status now, and those that left one since the first instant (an event whose
    from_status is one: services write it from the report's status). Every other report,
    patrols with nothing found among them, was never in a stock status within the range.

    Households: see _signed_sql.
    """
    report_filter = (
        "AND r.district_id = ANY(%(districts)s::bigint[])" if part.district_ids is not None else ""
    )
    statuses = ", ".join(f"'{v}'" for v in pf.STOCK_STATUSES)
    # The reports that left a stock status within the range. For a county: the matching
    # events hashed once (one scan of the events table). For one grid: its few hundred
    # reports' events looked up by the report index, one EXISTS per report (OFFSET 0 keeps
    # the planner from hashing it): the scan was 49 ms of the 106 ms stocks statement of a
    # 247 ms grid refresh (docs/benchmarks.md, M6).
    left_events = (
        f"FROM {EVENTS} e WHERE e.at >= %(first_instant)s AND e.from_status IN ({statuses})"
    )
    if part.single_district is not None:
        left_stock_since = f"EXISTS (SELECT 1 {left_events} AND e.report_id = r.id OFFSET 0)"
    else:
        left_stock_since = f"r.id IN (SELECT e.report_id {left_events})"
    joins, confirm, clear = pf.target_sql("x.station_id", "x.kind")
    steps = []
    for key, cond, start in pf.stock_interval_sql("iv", "iv.confirm_target", "iv.clear_target"):
        # An overdue interval starts `target` after its status did, if it lasts that long.
        live = f"{cond} AND (iv.until IS NULL OR {start} < iv.until)"
        # Each branch is summed per (grid, area, instant) first: a handful of rows per
        # area instead of one per interval for the pivot below to sort or hash.
        # (Two rows per interval by unnest in the select list: a lateral join would be a
        # nested loop per interval.)
        steps.append(
            f"SELECT district_id, ta_id, '{key}' AS key, k, sum(n) AS n FROM ("
            f" SELECT iv.district_id, iv.ta_id,"
            f" unnest(ARRAY[width_bucket({start}, %(instants)s) + 1,"
            f" width_bucket(iv.until, %(instants)s) + 1]) AS k,"
            f" unnest(ARRAY[1, -1]) AS n FROM iv WHERE {live}) AS b"
            f" WHERE k IS NOT NULL GROUP BY 1, 2, 4"
        )
    keys = pf.STOCK_KEYS
    pivot = ", ".join(f"coalesce(sum(n) FILTER (WHERE key = '{k}'), 0) AS {k}" for k in keys)
    running = ", ".join(
        f"sum(coalesce(st.{k}, 0)) OVER (PARTITION BY u.district_id, u.ta_id ORDER BY g.k) AS {k}"
        for k in keys
    )
    return f"""
    WITH cand AS MATERIALIZED (
        SELECT r.id, r.district_id, r.transformer_area_id AS ta_id, r.in_zone, r.kind,
               d.station_id
        FROM {REPORTS} r JOIN grid_district d ON d.id = r.district_id
        WHERE r.received_at < %(last_instant)s {report_filter}
          AND (r.status IN ({statuses}) OR {left_stock_since})
    ),
    iv AS MATERIALIZED (
        SELECT x.*, {confirm} AS confirm_target, {clear} AS clear_target
        FROM (
            SELECT c.*, e.status, e.since, e.until
            -- The candidates' events first (the small side hashed), then their reports.
            FROM (SELECT report_id, to_status AS status, at AS since,
                         lead(at) OVER (PARTITION BY report_id ORDER BY at, id) AS until
                  FROM {EVENTS} WHERE report_id IN (SELECT id FROM cand)) AS e
            JOIN cand c ON c.id = e.report_id) AS x
        {joins}
        WHERE x.status IN ({statuses}) AND (x.until IS NULL OR x.until >= %(first_instant)s)
    ),
    steps AS (
        SELECT district_id, ta_id, k, {pivot}
        FROM ({" UNION ALL ".join(steps)}) AS s
        WHERE k <= %(n_instants)s
        GROUP BY 1, 2, 3
    ),
    reports AS (
        SELECT u.district_id, u.ta_id, g.k, {running}
        FROM (SELECT DISTINCT district_id, ta_id FROM steps) AS u
        CROSS JOIN generate_series(1, %(n_instants)s) AS g(k)
        -- Transformer area 0 stands for "none" (a report off any area): ids start at 1.
        LEFT JOIN steps st ON st.district_id = u.district_id
             AND coalesce(st.ta_id, 0) = coalesce(u.ta_id, 0) AND st.k = g.k
    ),
    signed AS ({_signed_sql(part, n_instants)})
    SELECT x.district_id, x.ta_id, d.station_id, s.county_id, x.k,
           {", ".join(f"coalesce(x.{k}, 0) AS {k}" for k in keys)},
           coalesce(x.households_signed, 0) AS households_signed
    FROM (SELECT coalesce(r.district_id, sg.district_id) AS district_id,
                 coalesce(r.ta_id, sg.ta_id) AS ta_id, coalesce(r.k, sg.k) AS k,
                 {", ".join(f"r.{k}" for k in keys)}, sg.households_signed
          FROM reports r FULL JOIN signed sg ON sg.district_id = r.district_id
               AND coalesce(sg.ta_id, 0) = coalesce(r.ta_id, 0) AND sg.k = r.k) AS x
    JOIN grid_district d ON d.id = x.district_id JOIN grid_station s ON s.id = d.station_id
    """


def _patrols_sql(part: Part) -> str:
    """The distinct (segment, as-of instant number k) pairs of "segments patrolled": a
    report counts for the instants T with received_at < T <= received_at + PATROL_WINDOW,
    i.e. k from width_bucket(received_at) + 1 to width_bucket(received_at + window).

    A grid's refresh takes the reports on its segments, wherever the report was filed.
    """
    segment_filter = (
        "AND r.segment_id IN (SELECT id FROM grid_segment"
        " WHERE district_id = ANY(%(districts)s::bigint[]))"
        if part.district_ids is not None
        else ""
    )
    return f"""
    SELECT DISTINCT r.segment_id, g.k
    FROM {REPORTS} r
    CROSS JOIN LATERAL generate_series(
        width_bucket(r.received_at, %(instants)s) + 1,
        width_bucket(r.received_at + %(window)s, %(instants)s)) AS g(k)
    WHERE r.received_at >= %(first_instant)s - %(window)s
      AND r.received_at < %(last_instant)s
      AND {pf.patrol_sql("r")} {segment_filter}
    """


def _kind_statement(
    kind: PeriodKind,
    first: dt.date,
    last: dt.date,
    part: Part,
    now: dt.datetime,
    periods: list[tuple[dt.date, int, dt.datetime, dt.date]],
) -> tuple[str, dict, str]:
    """The one statement that writes a period kind's rows, its parameters, and the SQL of
    the shared denominators it reads from `stats_tmp_denoms`.

    `periods`: (start, number of its as-of instant, as-of instant, as-of local date) of
    each period of a dense kind."""
    tz = settings.TIME_ZONE
    levels = list(part.levels)
    sets, level_case, scope = _grouping(levels)
    score_sql, score_params = _score_sql()
    params: dict = {
        # A month-to-date row is a part of a month.
        "trunc": "month" if kind == PeriodKind.MONTH_TO_DATE else kind.value,
        "tz": tz,
        "step": STEP[kind],
        "first": first,
        "last": last,
        "now": now,
        **part.params(),
        "min_reports": settings.STATS_MIN_REPORTS,
        "kind": kind.value,
        "p_ps": [p[0] for p in periods],
        "p_k": [p[1] for p in periods],
        "p_as_of": [p[2] for p in periods],
        "p_as_of_day": [p[3] for p in periods],
        # The last of them, as a constant the planner can estimate a date range by.
        "last_as_of_day": max((p[3] for p in periods), default=last),
        **score_params,
    }
    dense = kind in DENSE
    scopes = _scopes_sql(part)
    hh_filter = (
        "AND ta.district_id = ANY(%(districts)s::bigint[])" if part.district_ids is not None else ""
    )
    seg_filter = (
        "AND sg.district_id = ANY(%(districts)s::bigint[])" if part.district_ids is not None else ""
    )
    # A part's visits only, found through its households: read by date, a grid's refresh
    # looked up the household of every visit of the county in the year (17,000 for 113 of
    # its own: 43 of a 60 ms statement, docs/benchmarks.md, M6).
    visit_filter = _part_households_filter(part, "v.household_id")

    # Denominators: households per transformer area, segments per area and grid.
    hh_select = f"""
        SELECT ta.id AS ta_id, ta.district_id, d.station_id, s.county_id, NULL::date AS ps,
               count(h.id) AS n
        FROM grid_transformerarea ta JOIN grid_district d ON d.id = ta.district_id
        JOIN grid_station s ON s.id = d.station_id
        JOIN grid_household h ON h.transformer_area_id = ta.id AND h.is_active
        WHERE TRUE {hh_filter} GROUP BY ta.id, d.station_id, s.county_id"""
    seg_select = f"""
        SELECT sg.id, sg.transformer_area_id AS ta_id, sg.district_id, d.station_id,
               s.county_id, NULL::date AS ps,
               ST_Length(sg.geom::geography) AS len
        FROM grid_segment sg JOIN grid_district d ON d.id = sg.district_id
        JOIN grid_station s ON s.id = d.station_id WHERE TRUE {seg_filter}"""
    denominators = f"""
    hh AS ({_rollup(hh_select, levels, "sum(n)::int AS households")}),
    seg AS ({_rollup(seg_select, levels, "count(*)::int AS segments, sum(len) AS line_length_m")})
    """

    stock_keys = (*STOCK_COLS, "households_signed")
    coverage = ""
    coverage_cols = ", ".join(
        f"NULL::{t} AS {c}"
        for c, t in (
            *((k, "int") for k in stock_keys),
            ("covered_length_m", "float8"),
            ("front_doors_confirmed", "int"),
            ("segments_patrolled_30d", "int"),
            ("household_visits", "int"),
        )
    )
    coverage_joins = ""
    if dense:
        in_force = plf.assignment_in_force_sql("a", "p.as_of_day")
        stocks_select = f"""
        SELECT x.ta_id, x.district_id, x.station_id, x.county_id, p.ps,
               {", ".join(f"x.{k}" for k in stock_keys)}
        FROM stats_tmp_stocks x JOIN periods p ON p.k = x.k"""
        covered_select = f"""
        SELECT sg.transformer_area_id AS ta_id, sg.district_id, d.station_id, s.county_id,
               p.ps, sg.len
        -- OFFSET 0: each segment's length is computed once, not once per period (and
        -- only for the part's segments: the filter is not pushed through OFFSET).
        FROM (SELECT id, transformer_area_id, district_id, ST_Length(geom::geography) AS len
              FROM grid_segment sg WHERE TRUE {seg_filter} OFFSET 0) AS sg
        JOIN grid_district d ON d.id = sg.district_id
        JOIN grid_station s ON s.id = d.station_id
        JOIN periods p ON EXISTS (
            SELECT 1 FROM {ASSIGNMENTS} a
            WHERE a.segment_id = sg.id AND {plf.scope_sql("a", "segment")} AND {in_force})
        WHERE TRUE {seg_filter}"""
        visits_select = f"""
        SELECT h.transformer_area_id AS ta_id, ta.district_id, d.station_id, s.county_id,
               p.ps, count(*) AS n
        -- OFFSET 0: the part's visits of the range are selected first, by constants the
        -- planner can estimate; joined to the periods (a CTE it cannot see into) it
        -- guessed a few dozen rows and looked up the household of every visit.
        FROM (SELECT v.household_id, v.visited_on FROM {VISITS} v
              WHERE v.visited_on >= %(first)s AND v.visited_on <= %(last_as_of_day)s
                    {visit_filter}
              OFFSET 0) AS v
        JOIN grid_household h ON h.id = v.household_id
        JOIN grid_transformerarea ta ON ta.id = h.transformer_area_id
        JOIN grid_district d ON d.id = ta.district_id JOIN grid_station s ON s.id = d.station_id
        JOIN periods p ON p.ps = date_trunc(%(trunc)s, v.visited_on::timestamp)::date
        WHERE v.visited_on <= p.as_of_day {hh_filter}
        GROUP BY 1, 2, 3, 4, 5"""
        # Per instant in `stats_tmp_doors` (see _front_doors_sql), like the stocks.
        doors_select = """
        SELECT x.ta_id, x.district_id, d.station_id, s.county_id, p.ps,
               x.front_doors_confirmed AS n
        FROM stats_tmp_doors x JOIN periods p ON p.k = x.k
        JOIN grid_district d ON d.id = x.district_id JOIN grid_station s ON s.id = d.station_id"""
        stock_sums = ", ".join(f"sum({k})::int AS {k}" for k in stock_keys)
        coverage = f""",
    -- Open, overdue and signed at each period's as-of instant: the running sums of
    -- `stats_tmp_stocks` (see _stock_steps_sql) at the period's instant number.
    stocks AS ({_rollup(stocks_select, levels, stock_sums)}),
    covered AS ({_rollup(covered_select, levels, "sum(len) AS covered_length_m")}),
    -- Visits by grid managers and staff to households (pledges.HouseholdVisit), a flow:
    -- counted in the period they were made in, up to its as-of day.
    visits AS ({_rollup(visits_select, levels, "sum(n)::int AS household_visits")}),
    doors AS ({_rollup(doors_select, levels, "sum(n)::int AS front_doors_confirmed")}),
    -- The (segment, instant) pairs come from `stats_tmp_patrols` (see _patrols_sql),
    -- distinct already, so the areas count rows (hashed) instead of sorting each level's
    -- rows for a count(DISTINCT).
    patrolled AS (
        SELECT {level_case} AS level, {scope} AS scope_id, ps,
               count(*)::int AS segments_patrolled_30d
        FROM (SELECT sp.segment_id, sg.transformer_area_id AS ta_id, sg.district_id,
                     d.station_id, s.county_id, p.ps
              FROM stats_tmp_patrols sp
              JOIN periods p ON p.k = sp.k
              JOIN grid_segment sg ON sg.id = sp.segment_id
              JOIN grid_district d ON d.id = sg.district_id
              JOIN grid_station s ON s.id = d.station_id
              WHERE TRUE {seg_filter}) AS x
        GROUP BY GROUPING SETS ({sets}))
    """
        coverage_cols = ", ".join(
            [f"coalesce(st.{k}, 0) AS {k}" for k in stock_keys]
            + [
                "coalesce(cv.covered_length_m, 0) AS covered_length_m",
                "coalesce(dr.front_doors_confirmed, 0) AS front_doors_confirmed",
                "coalesce(pt.segments_patrolled_30d, 0) AS segments_patrolled_30d",
                "coalesce(vi.household_visits, 0) AS household_visits",
            ]
        )
        coverage_joins = """
        LEFT JOIN stocks st ON st.level = b.level AND st.scope_id = b.scope_id AND st.ps = b.ps
        LEFT JOIN covered cv ON cv.level = b.level AND cv.scope_id = b.scope_id AND cv.ps = b.ps
        LEFT JOIN visits vi ON vi.level = b.level AND vi.scope_id = b.scope_id AND vi.ps = b.ps
        LEFT JOIN doors dr ON dr.level = b.level AND dr.scope_id = b.scope_id AND dr.ps = b.ps
        LEFT JOIN patrolled pt ON pt.level = b.level AND pt.scope_id = b.scope_id AND pt.ps = b.ps
        """

    # Dense kinds get a row for every area and period (a quiet month is a real zero); day
    # rows exist only where something was reported that day.
    if dense:
        from_clause = """(SELECT sc.*, p.ps, p.as_of FROM scopes sc CROSS JOIN periods p) AS b
        LEFT JOIN flows f ON f.level = b.level AND f.scope_id = b.scope_id AND f.ps = b.ps"""
        ps, as_of = "b.ps", "b.as_of"
    else:
        # Joining the flows back a second time made a 22-million-row merge: read them once.
        from_clause = "flows f JOIN scopes b ON b.level = f.level AND b.scope_id = f.scope_id"
        ps = "f.ps"
        as_of = "least(((f.ps + 1)::timestamp AT TIME ZONE %(tz)s), %(now)s::timestamptz)"
    flow_select = ", ".join(f"coalesce(f.{c}, 0) AS {c}" for c in FLOW_COLS)
    # A quiet period counts every behaviour as 0, like the live counts.
    no_behaviours = "jsonb_build_object(" + ", ".join(f"'{b.key}', 0" for b in pf.BEHAVIOURS) + ")"
    rated_cols = ",\n               ".join(f"{c.sql} AS {c.key}" for c in SCORE_COMPONENTS)

    # Only the latest month-to-date comparison is kept: the older ones are deleted.
    existing_filter = "s.period = %(kind)s"
    if kind != PeriodKind.MONTH_TO_DATE:
        existing_filter += " AND s.period_start BETWEEN %(first)s AND %(last)s"
    if tuple(levels) != ALL_LEVELS:
        existing_filter += " AND s.level = ANY(%(levels)s::varchar[])"
    if part.district_ids is not None:
        # Each level's rows over the part's districts (a grid's rows and its areas' carry
        # its id; a station's and a county's do not).
        by_level = [
            f"(s.level = '{lv.value}' AND {EXISTING_FILTERS[lv]})"
            for lv in (Level(x) for x in levels)
        ]
        existing_filter += f" AND ({' OR '.join(by_level)})"
    periods_sql = (
        "SELECT * FROM unnest(%(p_ps)s::date[], %(p_k)s::int[], %(p_as_of)s::timestamptz[],"
        " %(p_as_of_day)s::date[]) AS p(ps, k, as_of, as_of_day)"
    )
    sql = f"""
    WITH periods AS ({periods_sql}),
    flows AS (SELECT * FROM stats_tmp_flows WHERE period = %(kind)s),
    scopes AS ({scopes}){coverage},
    assembled AS (
        SELECT b.level, b.scope_id, b.scope_name, b.county_id, b.station_id, b.district_id,
               {ps} AS ps, {as_of} AS as_of,
               coalesce(dn.households, 0) AS households,
               coalesce(dn.segments, 0) AS segments,
               coalesce(dn.line_length_m, 0) AS line_length_m,
               {coverage_cols},
               {flow_select},
               {", ".join(f"f.{c}" for c in DURATION_COLS)},
               coalesce(f.behaviours, {no_behaviours}) AS behaviours
        FROM {from_clause}
        LEFT JOIN stats_tmp_denoms dn ON dn.level = b.level AND dn.scope_id = b.scope_id
        {coverage_joins}
    ),
    rated AS (
        SELECT a.*,
               {rated_cols}
        FROM assembled a
    ),
    new AS (
        SELECT level, scope_id, scope_name, county_id, station_id, district_id,
               %(kind)s::varchar AS period, ps AS period_start, as_of,
               households, segments, line_length_m, households_signed, covered_length_m,
               front_doors_confirmed, segments_patrolled_30d, household_visits,
               {", ".join((*FLOW_COLS, *STOCK_COLS, *DURATION_COLS))}, behaviours,
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


BUCKET = {
    PeriodKind.DAY: "dd",
    PeriodKind.MONTH: "mm",
    PeriodKind.YEAR: "yy",
    PeriodKind.MONTH_TO_DATE: "md",
}
FACT_BUCKETS = (
    "date_trunc('day', r.received_at AT TIME ZONE %(tz)s)::date AS dd, "
    "date_trunc('month', r.received_at AT TIME ZONE %(tz)s)::date AS mm, "
    "date_trunc('year', r.received_at AT TIME ZONE %(tz)s)::date AS yy, "
    # The month-to-date comparison window (see previous_month_window), if computed.
    "CASE WHEN r.received_at >= %(mtd_from)s AND r.received_at < %(mtd_to)s"
    " THEN %(mtd_ps)s::date END AS md"
)
# Kinds whose periods nest and share one aggregate (see _flows_sql).
NESTING = (PeriodKind.DAY, PeriodKind.MONTH, PeriodKind.YEAR)


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
    range (today's rows in an hourly refresh over this year's facts), or that does not nest
    (the month-to-date window), is grouped on its own, from its own facts.
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
    kinds = [k for k in NESTING if k in chained]
    if kinds:
        # p_dd, p_mm, p_yy: the period columns, emptied outside a chained kind's range.
        period_cols = ", ".join(
            f"CASE WHEN {b} BETWEEN %(first_{k.value})s AND %(last_{k.value})s THEN {b} END"
            f" AS p_{b}"
            if k in chained
            else f"{b} AS p_{b}"
            for k, b in BUCKET.items()
            if k in NESTING
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
    part: Part | None = None,
) -> RunResult:
    """Compute and store the snapshots of every period of `kind` from `first` to `last`."""
    return compute_kinds(
        kinds=[kind], first=first, last=last, district_id=district_id, now=now, part=part
    )[0]


def _as_of_day(as_of: dt.datetime) -> dt.date:
    """The local date whose end the as-of instant is (or which it is in, while it runs)."""
    return timezone.localdate(as_of - dt.timedelta(microseconds=1))


def compute_kinds(
    *,
    kinds: list[str],
    first: dt.date,
    last: dt.date | None = None,
    district_id: int | None = None,
    now: dt.datetime | None = None,
    part: Part | None = None,
) -> list[RunResult]:
    """Every period of each kind between two dates, in ONE transaction.

    The reports of the whole range are read once into a temporary table with their day,
    month and year, their flows for every kind are grouped once (see _flows_sql), the
    denominators are computed once, and so are the stocks at every as-of instant of every
    dense kind (see _stock_steps_sql); each kind's statement then reads those (reading the
    reports three times was a third of a county-wide run).

    The month-to-date kind ignores `first` and `last`: it is the previous month up to the
    same point as the month of `now`.

    `district_id`: one grid's rows (its debounced refresh); `part`: the share of a fanned-out
    refresh (stats.fanout); neither: everything.
    """
    if part is None:
        part = Part.district(district_id) if district_id else Part()
    # A grid's own refresh is recorded as such (stats.selectors reads it); parts are not.
    grid_levels = (Level.TRANSFORMER_AREA, Level.DISTRICT)
    district_id = part.single_district if part.levels == grid_levels else None
    now = now or timezone.now()
    last = last or first
    spans = []
    mtd_ps, mtd_to = previous_month_window(now)
    for k in kinds:
        k = PeriodKind(k)
        if k == PeriodKind.MONTH_TO_DATE:
            spans.append((k, mtd_ps, mtd_ps))
        else:
            spans.append((k, period_start(k, first), period_start(k, last)))
    # The as-of instants of every dense period, numbered in time order (see _stock_steps_sql).
    period_ends: dict[PeriodKind, list[tuple[dt.date, dt.datetime]]] = {}
    for k, f, lst in spans:
        if k == PeriodKind.MONTH_TO_DATE:
            period_ends[k] = [(f, mtd_to)]
        elif k in DENSE:
            ends, ps = [], f
            while ps <= lst:
                ends.append((ps, min(_local_midnight(_next_start(k, ps)), now)))
                ps = _next_start(k, ps)
            period_ends[k] = ends
    instants = sorted({t for ends in period_ends.values() for _ps, t in ends})
    number = {t: i + 1 for i, t in enumerate(instants)}
    levels = [Level(lv) for lv in part.levels]
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
            # One grid's refresh (a few hundred reports) is the exception: there the
            # nested loops are index lookups of its reports' events (a hash join read all
            # 1.2 million events of five years instead, 1.1 s of 4 s).
            nested_loops_off = part.single_district is None
            if nested_loops_off:
                cur.execute("SET LOCAL enable_nestloop = off")
            cur.execute("SET LOCAL enable_mergejoin = off")
            has_mtd = PeriodKind.MONTH_TO_DATE in period_ends
            days = [_as_of_day(t) for t in instants]
            shared = {
                "tz": settings.TIME_ZONE,
                **part.params(),
                "range_start": _local_midnight(min(f for _k, f, _l in spans)),
                "range_end": _local_midnight(max(_next_start(k, lst) for k, _f, lst in spans)),
                "mtd_ps": mtd_ps if has_mtd else None,
                "mtd_from": _local_midnight(mtd_ps) if has_mtd else None,
                "mtd_to": mtd_to if has_mtd else None,
                "instants": instants,
                # The local date each instant ends (or is in, while its period runs).
                "days": days,
                "first_day": days[0] if days else None,
                "last_day": days[-1] if days else None,
                "n_instants": len(instants),
                "first_instant": instants[0] if instants else None,
                "last_instant": instants[-1] if instants else None,
                "window": pf.PATROL_WINDOW,
                **pf.target_params(),
            }
            district_filter = (
                "AND r.district_id = ANY(%(districts)s::bigint[])"
                if part.district_ids is not None
                else ""
            )
            # ON COMMIT DROP does not fire when this block is a savepoint inside a longer
            # transaction (tests, a caller's atomic block): start clean either way.
            cur.execute(
                "DROP TABLE IF EXISTS stats_tmp_facts, stats_tmp_flows, stats_tmp_denoms,"
                " stats_tmp_stocks, stats_tmp_doors, stats_tmp_patrols"
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
            # Which kinds share the one-pass aggregate: those that nest with at most a
            # tenth of the facts outside their range (a back-fill), see _flows_sql.
            nesting = [(k, f, lst) for k, f, lst in spans if k in NESTING]
            chained: set[PeriodKind] = set()
            if nesting:
                cur.execute(
                    "SELECT count(*), "
                    + ", ".join(
                        f"count(*) FILTER (WHERE {BUCKET[k]} NOT BETWEEN %(first_{k.value})s"
                        f" AND %(last_{k.value})s)"
                        for k, _f, _l in nesting
                    )
                    + " FROM stats_tmp_facts",
                    ranges,
                )
                total, *outside = cur.fetchone()
                chained = {
                    k for (k, _f, _l), n in zip(nesting, outside, strict=True) if n <= 0.1 * total
                }
            cur.execute(
                "CREATE TEMP TABLE stats_tmp_flows ON COMMIT DROP AS "
                + _flows_sql(spans, levels, chained),
                {"now": now, **ranges},
            )
            if instants:
                # Stocks at every as-of instant and the patrolled (segment, instant) pairs,
                # read once for every dense kind (the pledges alone are 0.5 s on a county).
                cur.execute(
                    "CREATE TEMP TABLE stats_tmp_stocks ON COMMIT DROP AS "
                    + _stock_steps_sql(part, len(instants)),
                    shared,
                )
                cur.execute(
                    "CREATE TEMP TABLE stats_tmp_doors ON COMMIT DROP AS "
                    + _front_doors_sql(part, len(instants)),
                    shared,
                )
                # Each report's instants come from a function call per report, a nested
                # loop by nature: with nested loops disabled, every plan of this statement
                # pays the same penalty, and the planner no longer tells a scan of the
                # range (0.27 s on a county) from a walk of the segment index over every
                # report of five years (1.0 s; docs/benchmarks.md, M6).
                cur.execute("SET LOCAL enable_nestloop = on")
                cur.execute(
                    "CREATE TEMP TABLE stats_tmp_patrols ON COMMIT DROP AS " + _patrols_sql(part),
                    shared,
                )
                if nested_loops_off:
                    cur.execute("SET LOCAL enable_nestloop = off")
            marks = None
            for k, f, lst in spans:
                started = time.perf_counter()
                periods = [(ps, number[t], t, _as_of_day(t)) for ps, t in period_ends.get(k, [])]
                sql, params = _kind_statement(k, f, lst, part, now, periods)[:2]
                if not runs:
                    denominators = _kind_statement(k, f, lst, part, now, periods)[2]
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
                run = SnapshotRun.objects.create(
                    period=k, first_start=f, last_start=lst, district_id=district_id,
                    status=SnapshotRun.Status.DONE, started_at=timezone.now(), as_of=now,
                )  # fmt: skip
                runs.append(run)
                params["run"] = run.pk
                cur.execute(sql, params)
                changed, deleted, produced = cur.fetchone()
                if _after_write_hook is not None:
                    _after_write_hook()
                if marks is None:
                    # Once per refresh, not per kind.
                    marks = _source_marks(cur, part)
                run.source = {**marks, "changed": changed, "deleted": deleted}
                if part != Part() and district_id is None:
                    run.source["part"] = part.params()
                run.rows = produced
                run.duration_ms = int((time.perf_counter() - started) * 1000)
                run.save(update_fields=["rows", "duration_ms", "source"])
                results.append(RunResult(rows=run.rows, duration_ms=run.duration_ms, run_id=run.pk))
    except Exception as exc:
        # The transaction above rolled back; the failure itself is kept for the admin.
        for k, f, lst in spans:
            SnapshotRun.objects.create(
                period=k, first_start=f, last_start=lst, district_id=district_id,
                status=SnapshotRun.Status.FAILED, started_at=started_at, as_of=now,
                error=repr(exc)[:2000],
            )  # fmt: skip
        raise
    return results


def _source_marks(cur, part: Part) -> dict:
    """What the snapshot was computed from: the highest ids of the sources, and
    `reports_total`, the reports of the grids the run computed (every report for a whole
    refresh). A part counts only its grids' reports, by their index: counting all of a
    county's five years took 25 ms of a 240 ms grid refresh at 600,000 reports, and grows
    with the county, not the grid."""
    scope = "" if part.district_ids is None else "WHERE district_id = ANY(%(districts)s)"
    cur.execute(
        f"""SELECT (SELECT count(*) FROM patrols_report {scope}),
                  (SELECT max(id) FROM patrols_report),
                  (SELECT max(id) FROM patrols_reportevent), (SELECT max(id) FROM pledges_pledge),
                  (SELECT max(id) FROM pledges_assignment),
                  (SELECT max(id) FROM pledges_householdvisit)""",
        part.params(),
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
