"""Benchmarks of issue 5 and M6 of issue 10: the statistics of a county (20 stations at
Houhu's size, BENCH_YEARS years of reports, the refresh writing the last year's rows).

Three ratios, each against a baseline measured in the same run:

1. the full refresh (unfanned, in this process) / the single bare SQL GROUP BY that
   produces the same counts (target <= 1.2);
2. one grid's incremental refresh after one new report (`refresh_current(district_id)`,
   what the debounced outbox job runs) / the full refresh (target <= 0.02);
3. the full refresh fanned out (stats.fanout) on two Celery worker processes / on one
   (target <= 0.65): real `celery worker` processes on a private stats queue.

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/houhu_bench \\
        DJANGO_SETTINGS_MODULE=houhu.settings.dev DJANGO_DEBUG=0 \\
        .venv/bin/python bench/setup_db.py && .venv/bin/python bench/bench_stats.py

(or `make bench ARGS=bench/bench_stats.py`). Never run it on the app's or the tests' DB.

- measured: `stats.services.refresh_range` over the last 365 days: every day, month and
  year row of every transformer area, grid, station and the county, in one transaction
  (only rows whose figures changed are written), with the denominators, coverage as of
  each period's end and the score;
- baseline: one SELECT ... GROUP BY GROUPING SETS over the same reports giving the same
  report counts, medians and 90th percentiles for the same areas and periods (day, month,
  year x transformer area, grid, station, county), fetched by the client, nothing written.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time

from common import report, setup_django


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


STATIONS = int(os.environ.get("BENCH_STATIONS", "20"))
# A year of reports per station: patrols logged by villagers and staff (most say "nothing
# found"), ~260 tree obstacles, behaviours, damage and a few construction reports.
REPORTS_PER_STATION = int(os.environ.get("BENCH_REPORTS_PER_STATION", "6000"))
# Years of reports in the database (the refresh writes the last year's rows; the older
# ones weigh on the stocks and the indexes, as five years of a county would).
YEARS = int(os.environ.get("BENCH_YEARS", "5"))
# The stats queue of this run's workers (read by houhu.celery.route_task): set before
# Django's settings are read, so that no other worker takes the benchmark's tasks.
os.environ.setdefault("CELERY_STATS_QUEUE", f"bench-stats-{os.getpid()}")


def ensure_county() -> None:
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    if name in ("houhu",) or name.startswith("test_"):
        sys.exit(f"Refusing to benchmark on {name!r}: use a database of its own (houhu_bench).")
    from common import ensure_demo

    ensure_demo(STATIONS)


def ensure_reports() -> int:
    """A year of reports, generated in SQL if the demo loader did not provide them."""
    from django.db import connection

    target = STATIONS * REPORTS_PER_STATION
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM patrols_report WHERE received_at >= now() - interval '365 days'"
        )
        have = cur.fetchone()[0]
        if have >= target * 0.9:
            return have
        cur.execute("SELECT min(id) FROM accounts_user")
        reporter = cur.fetchone()[0]
        cur.execute(
            GENERATE_REPORTS,
            {"n": target - have, "reporter": reporter, "offset": "0 days", "span": "365 days"},
        )
        cur.execute("ANALYZE patrols_report")
        cur.execute(
            "SELECT count(*) FROM patrols_report WHERE received_at >= now() - interval '365 days'"
        )
        return cur.fetchone()[0]


def ensure_history() -> int:
    """The years before the last one: YEARS - 1 more years of reports, as many per year."""
    from django.db import connection

    target = STATIONS * REPORTS_PER_STATION * (YEARS - 1)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM patrols_report WHERE received_at < now() - interval '365 days'"
        )
        have = cur.fetchone()[0]
        if target and have < target * 0.9:
            cur.execute("SELECT min(id) FROM accounts_user")
            reporter = cur.fetchone()[0]
            cur.execute(
                GENERATE_REPORTS,
                {
                    "n": target - have,
                    "reporter": reporter,
                    "offset": "365 days",
                    "span": f"{365 * (YEARS - 1)} days",
                },
            )
            cur.execute("ANALYZE patrols_report")
        cur.execute("SELECT count(*) FROM patrols_report")
        return cur.fetchone()[0]


GENERATE_REPORTS = """
WITH segs AS (SELECT array_agg(id ORDER BY id) AS ids FROM grid_segment),
g AS (
    SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
           now() - %(offset)s::interval - random() * %(span)s::interval AS t
    FROM generate_series(1, %(n)s) AS i
),
x AS (
    SELECT g.*, sg.id AS seg_id, sg.district_id, sg.transformer_area_id, sg.geom,
           CASE WHEN r2 < 0.55 THEN 'nothing_found' WHEN r2 < 0.80 THEN 'tree'
                WHEN r2 < 0.92 THEN 'behaviour' WHEN r2 < 0.97 THEN 'damage'
                WHEN r2 < 0.985 THEN 'construction' ELSE 'other' END AS kind
    FROM g CROSS JOIN segs
    JOIN grid_segment sg ON sg.id = segs.ids[1 + floor(g.r1 * array_length(segs.ids, 1))::int]
),
y AS (
    SELECT x.*,
           CASE WHEN kind = 'nothing_found' THEN 'recorded'
                WHEN kind = 'construction' THEN
                    CASE WHEN r3 < 0.2 THEN 'submitted' WHEN r3 < 0.3 THEN 'rejected'
                         WHEN r3 < 0.8 THEN 'stopped' WHEN r3 < 0.9 THEN 'permitted'
                         ELSE 'verified' END
                ELSE CASE WHEN r3 < 0.1 THEN 'submitted' WHEN r3 < 0.2 THEN 'confirmed'
                          WHEN r3 < 0.27 THEN 'rejected' WHEN r3 < 0.35 THEN 'cleared'
                          WHEN r3 < 0.97 THEN 'verified' ELSE 'reopened' END
           END AS status
    FROM x
),
z AS (
    SELECT y.*,
           CASE WHEN kind NOT IN ('nothing_found', 'construction')
                     AND status IN ('confirmed', 'cleared', 'verified', 'reopened')
                THEN t + r4 * interval '48 hours' END AS confirmed_at
    FROM y
),
w AS (
    SELECT z.*,
           CASE WHEN status IN ('cleared', 'verified', 'reopened')
                THEN confirmed_at + r1 * interval '10 days' END AS cleared_at
    FROM z
)
INSERT INTO patrols_report (
    client_id, content_hash, reporter_id, kind, status, location, accuracy_m, location_source,
    segment_id, distance_m, in_zone, district_id, transformer_area_id, village_id, tree_count,
    tree_distance_m, construction_kind, construction_stopped, behaviour, damage_kind,
    trees_removed, cleared_by, note, submitted_at, received_at, confirmed_at, cleared_at,
    verified_at, status_changed_at, merged_into_id)
SELECT gen_random_uuid(), md5(i::text) || md5(t::text), %(reporter)s, kind, status,
       ST_LineInterpolatePoint(geom, r4), 8.0, 'gps', seg_id, r4 * 20, r4 * 20 < 5,
       district_id, transformer_area_id, NULL,
       CASE WHEN kind = 'tree' THEN 1 + floor(r1 * 4)::int END,
       CASE WHEN kind = 'tree' THEN r2 * 6 END,
       CASE WHEN kind = 'construction'
            THEN (ARRAY['excavation', 'crane', 'piling', 'building', 'other'])
                 [1 + floor(r4 * 5)::int]
            ELSE '' END,
       CASE WHEN kind = 'construction' THEN status = 'stopped' END,
       CASE WHEN kind = 'behaviour' THEN (ARRAY['unauthorised_wiring', 'clothes_on_lines',
            'building_under_lines', 'fishing_under_lines', 'live_cable_laying', 'wet_hands',
            'cattle_on_stay_wire', 'fuse_replaced_by_wire',
            'appliances_moved_carelessly'])[1 + floor(r4 * 9)::int] ELSE '' END,
       CASE WHEN kind = 'damage'
            THEN (ARRAY['pole', 'stay_wire', 'insulator', 'transformer'])[1 + floor(r4 * 4)::int]
            ELSE '' END,
       CASE WHEN kind = 'tree' AND cleared_at IS NOT NULL THEN floor(r2 * 3)::int END,
       CASE WHEN cleared_at IS NOT NULL THEN CASE WHEN r4 < 0.6 THEN 'self' ELSE 'crew' END
            ELSE '' END,
       '', t, t, confirmed_at, cleared_at,
       CASE WHEN status = 'verified' AND kind <> 'construction'
            THEN cleared_at + r2 * interval '3 days' END,
       coalesce(cleared_at, confirmed_at, t + r4 * interval '30 hours'), NULL
FROM w
"""


def ensure_events() -> int:
    """The events the services would have written for the generated reports (the stocks
    read a report's status at each period's end from its events): submitted at receipt,
    confirmed, cleared and verified at their milestones, then the final status."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(GENERATE_EVENTS)
        added = cur.rowcount
        if added:
            cur.execute("ANALYZE patrols_reportevent")
    return added


GENERATE_EVENTS = """
WITH bare AS (
    SELECT r.*,
           CASE WHEN r.kind = 'nothing_found' THEN 'recorded' ELSE 'submitted' END AS born,
           CASE WHEN r.verified_at IS NOT NULL THEN 'verified'
                WHEN r.cleared_at IS NOT NULL THEN 'cleared'
                WHEN r.confirmed_at IS NOT NULL THEN 'confirmed' END AS milestone,
           greatest(r.received_at, r.confirmed_at, r.cleared_at, r.verified_at) AS last_at
    FROM patrols_report r
    WHERE NOT EXISTS (SELECT 1 FROM patrols_reportevent e WHERE e.report_id = r.id)
)
INSERT INTO patrols_reportevent (report_id, actor_id, at, action, from_status, to_status,
                                 note, witness_name, data)
SELECT b.id, b.reporter_id, v.at, v.action, v.from_status, v.to_status, '', '', '{}'::jsonb
FROM bare b CROSS JOIN LATERAL (VALUES
    (b.received_at, 'submit', '', b.born),
    (b.confirmed_at, 'confirm', 'submitted', 'confirmed'),
    (b.cleared_at, 'clear', 'confirmed', 'cleared'),
    (b.verified_at, 'verify', 'cleared', 'verified'),
    (CASE WHEN b.status <> coalesce(b.milestone, b.born)
          THEN greatest(b.status_changed_at, b.last_at + interval '1 second') END,
     CASE b.status WHEN 'rejected' THEN 'reject' WHEN 'stopped' THEN 'stop'
                   WHEN 'permitted' THEN 'permit' WHEN 'escalated' THEN 'escalate'
                   WHEN 'reopened' THEN 'reopen' WHEN 'cleared' THEN 'clear'
                   WHEN 'confirmed' THEN 'confirm' ELSE 'verify' END,
     coalesce(b.milestone, b.born), b.status)
) AS v(at, action, from_status, to_status)
WHERE v.at IS NOT NULL
"""


def baseline_sql() -> str:
    from stats import compute

    buckets = (
        "date_trunc('day', r.received_at AT TIME ZONE %(tz)s)::date AS dd, "
        "date_trunc('month', r.received_at AT TIME ZONE %(tz)s)::date AS mm, "
        "date_trunc('year', r.received_at AT TIME ZONE %(tz)s)::date AS yy"
    )
    cols = ("ta_id", "district_id", "station_id", "county_id")
    sets = ", ".join(f"({b}, {c})" for b in ("dd", "mm", "yy") for c in cols)
    return f"""
        SELECT dd, mm, yy, ta_id, district_id, station_id, county_id,
               {compute._flow_aggregates()}
        FROM ({compute._report_facts_sql("", buckets)}) AS facts
        GROUP BY GROUPING SETS ({sets})
    """


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from stats import services
    from stats.models import Snapshot

    ensure_county()
    n_reports = ensure_reports()
    all_reports = ensure_history()
    ensure_events()
    today = timezone.localdate()
    first = today - dt.timedelta(days=364)
    now = timezone.now()
    params = {
        "tz": settings.TIME_ZONE,
        "now": now,
        "range_start": timezone.make_aware(dt.datetime.combine(first.replace(day=1), dt.time.min)),
        "range_end": timezone.make_aware(
            dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min)
        ),
        "confirm_h": settings.STATS_CONFIRM_WITHIN_HOURS,
    }
    sql = baseline_sql()
    rows_out: list[int] = []

    def baseline() -> None:
        with transaction.atomic(), connection.cursor() as cur:
            # The same session settings as the computation (stats.compute sets them too).
            cur.execute("SET LOCAL jit = off")
            cur.execute("SET LOCAL work_mem = '64MB'")
            cur.execute(sql, params)
            rows_out.append(len(cur.fetchall()))

    def full() -> None:
        services.refresh_range(first=first, last=today, now=now)

    # Interleaved, after one warm-up of each, median of `repeat`: other work on a shared
    # machine then slows both sides alike.
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    baseline()
    full()
    base_samples, full_samples = [], []
    for _ in range(repeat):
        base_samples.append(_time(baseline))
        full_samples.append(_time(full))
    base_s, full_s = statistics.median(base_samples), statistics.median(full_samples)
    print("baseline samples (s):", " ".join(f"{x:.2f}" for x in base_samples))
    print("full samples (s):    ", " ".join(f"{x:.2f}" for x in full_samples))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM grid_station")
        stations = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM grid_household")
        households = cur.fetchone()[0]
    written = Snapshot.objects.count()
    print(
        f"county: {stations} stations, {households} households, {n_reports} reports in the "
        f"last 365 days; baseline rows {rows_out[-1]}, snapshot rows written {written}"
    )
    print(f"reports in the database: {all_reports} ({YEARS} years)")
    report("stats: all snapshots (day+month+year)", "bare GROUP BY", base_s, full_s)
    ratio = full_s / base_s
    print(f"M6 full / bare target <= 1.2x: {'met' if ratio <= 1.2 else 'NOT met'} ({ratio:.2f}x)")

    incremental = incremental_samples(repeat)
    inc_s = statistics.median(incremental)
    print("incremental samples (s):", " ".join(f"{x:.3f}" for x in incremental))
    report("stats: one grid after one new report", "full refresh", full_s, inc_s)
    ratio = inc_s / full_s
    print(f"M6 incremental / full target <= 0.02: {'met' if ratio <= 0.02 else 'NOT met'}"
          f" ({ratio:.3f})")  # fmt: skip

    if os.environ.get("BENCH_WORKERS", "1") == "0":  # the first two ratios only
        return
    one, two = worker_samples(first, today, now, repeat)
    one_s, two_s = statistics.median(one), statistics.median(two)
    print("fanned, 1 worker (s): ", " ".join(f"{x:.2f}" for x in one))
    print("fanned, 2 workers (s):", " ".join(f"{x:.2f}" for x in two))
    report("stats: fanned full refresh, 2 workers", "1 worker", one_s, two_s)
    ratio = two_s / one_s
    print(f"M6 two / one worker target <= 0.65: {'met' if ratio <= 0.65 else 'NOT met'}"
          f" ({ratio:.2f}); fanned 1 worker / unfanned: {one_s / full_s:.2f}")  # fmt: skip


def incremental_samples(repeat: int) -> list[float]:
    """One new report (a copy of a recent one, received now) in one grid, then that grid's
    current refresh, as the debounced outbox job runs it (stats.jobs)."""
    from django.db import connection

    from stats import services

    with connection.cursor() as cur:
        cur.execute("SELECT id, district_id FROM patrols_report ORDER BY id DESC LIMIT 1")
        template, district = cur.fetchone()
    services.refresh_current(district_id=district)  # warm-up
    samples = []
    for _ in range(repeat):
        with connection.cursor() as cur:
            cur.execute(COPY_REPORT, [template])
        samples.append(_time(lambda: services.refresh_current(district_id=district)))
    return samples


COPY_REPORT = """
INSERT INTO patrols_report (
    client_id, content_hash, reporter_id, kind, status, location, accuracy_m, location_source,
    segment_id, distance_m, in_zone, district_id, transformer_area_id, village_id, tree_count,
    tree_distance_m, construction_kind, construction_stopped, behaviour, damage_kind,
    trees_removed, cleared_by, note, submitted_at, received_at, confirmed_at, cleared_at,
    verified_at, status_changed_at, merged_into_id)
SELECT gen_random_uuid(), md5(random()::text) || md5(random()::text), reporter_id, kind,
       -- As a submission stores it: just submitted (a patrol that found nothing is born
       -- recorded), nothing confirmed, cleared or verified yet. A copy of the template's
       -- status made a verified hazard that was never confirmed, which no workflow
       -- produces (and which once pushed a grid's score over 100).
       CASE WHEN kind = 'nothing_found' THEN 'recorded' ELSE 'submitted' END,
       location, accuracy_m, location_source, segment_id, distance_m, in_zone,
       district_id, transformer_area_id, village_id, tree_count, tree_distance_m,
       construction_kind, NULL, behaviour, damage_kind, NULL,
       '', note, now(), now(), NULL, NULL, NULL, now(), NULL
FROM patrols_report WHERE id = %s
"""


def worker_samples(first, last, now, repeat: int) -> tuple[list[float], list[float]]:
    """The fanned-out back-fill (stats.fanout: a task per station and county) through real
    worker processes on this run's stats queue: one process, then two, interleaved."""
    import socket
    import subprocess
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    from houhu.celery import app
    from stats import fanout

    root = Path(__file__).resolve().parent.parent
    queue = settings.STATS_QUEUE
    env = {**os.environ, "CELERY_STATS_QUEUE": queue}

    def start(n: int) -> list[tuple[subprocess.Popen, str]]:
        procs = []
        for i in range(n):
            name = f"{queue}-{i}@{socket.gethostname()}"
            proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "houhu", "worker", "-P", "solo",
                 "-Q", queue, "-n", name, "--without-gossip", "--without-mingle", "-l",
                 "WARNING"],
                cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            procs.append((proc, name))
        for proc, name in procs:
            deadline = time.monotonic() + 120
            while not app.control.ping(destination=[name], timeout=0.5):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"worker {name} did not start")
        return procs

    def stop(procs) -> None:
        for proc, _name in procs:
            proc.terminate()
        for proc, _name in procs:
            proc.wait(timeout=60)

    def fanned() -> None:
        chord = fanout.refresh_chord("range", first.isoformat(), last.isoformat(), now)
        chord.apply_async().get(timeout=1800)

    connection.close()  # the workers are other processes; nothing held open meanwhile
    one, two = [], []
    for i in range(repeat + 1):
        for n, samples in ((1, one), (2, two)) if i % 2 else ((2, two), (1, one)):
            procs = start(n)
            try:
                took = _time(fanned)
            finally:
                stop(procs)
            if i:  # the first round is the warm-up
                samples.append(took)
    return one, two


if __name__ == "__main__":
    main()
