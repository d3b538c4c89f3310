"""Do the reports need time partitioning at province scale? (issue 10, docs/scale.md)

Generates BENCH_PARTITION_ROWS narrow report rows (default 20 million: five years of a
province of 2,800 service grids at ~1,400 reports per grid and year) in a scratch
database of its own, twice: one plain table with the indexes the dashboard's reads need,
and the same rows in a table partitioned by month (declarative RANGE partitioning on
received_at, the same indexes on every partition). Then times the dashboard's typical
reads on both, interleaved, with random grids, and prints the medians:

    make bench ARGS=bench/bench_partitioning.py

- last 30 days of one grid (counts by kind and status);
- the open reports of one grid (the stock the dashboard and the workspace show);
- last 30 days of a county's 140 grids, grouped by grid (the ranking);
- one month of the whole province grouped by grid (what a refresh reads);
- the open reports of a county, grouped by grid.

Never touches the app's database: it creates and drops `houhu_scratch_partitions`.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time

import psycopg

ROWS = int(os.environ.get("BENCH_PARTITION_ROWS", "20000000"))
GRIDS = 2_800
GRIDS_PER_COUNTY = 140
YEARS = 5
REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))
SCRATCH = "houhu_scratch_partitions"
# Open statuses (patrols.figures: submitted, confirmed, reopened, escalated) as small ints.
OPEN = (1, 2, 5, 7)

TABLE = """
CREATE TABLE {name} (
    id bigint NOT NULL,
    district_id int NOT NULL,
    received_at timestamptz NOT NULL,
    kind smallint NOT NULL,
    status smallint NOT NULL
) {partition}
"""
# Reads per grid over a time window, and the open reports per grid: the two shapes of
# the dashboard's and the workspace's queries (a partial index keeps the open ones small).
INDEXES = [
    "CREATE INDEX ON {name} (district_id, received_at)",
    "CREATE INDEX ON {name} (district_id) WHERE status IN (1, 2, 5, 7)",
    "CREATE INDEX ON {name} (received_at)",
]
GENERATE = """
INSERT INTO {name}
SELECT i, 1 + (random() * ({grids} - 1))::int,
       -- In time order, as the ledger appends them (a table's rows then lie in the order
       -- of received_at, which a plain table's index range scans profit from).
       now() - interval '{years} years' * (1 - i::float8 / {rows}) + random() * interval '1 hour',
       (random() * 6)::int,
       -- ~5 % open, the rest closed (verified, rejected, recorded ...)
       CASE WHEN random() < 0.05 THEN (ARRAY[1, 2, 5, 7])[1 + (random() * 3)::int]
            ELSE (ARRAY[3, 4, 6, 8])[1 + (random() * 3)::int] END
FROM generate_series(1, {rows}) AS i
"""

QUERIES = {
    "grid, last 30 days": """
        SELECT kind, status, count(*) FROM {name}
        WHERE district_id = %(d)s AND received_at >= now() - interval '30 days'
        GROUP BY kind, status""",
    "grid, open reports": """
        SELECT count(*) FROM {name} WHERE district_id = %(d)s AND status IN (1, 2, 5, 7)""",
    "county, last 30 days by grid": """
        SELECT district_id, count(*) FROM {name}
        WHERE district_id = ANY(%(county)s) AND received_at >= now() - interval '30 days'
        GROUP BY district_id""",
    "county, open reports by grid": """
        SELECT district_id, count(*) FROM {name}
        WHERE district_id = ANY(%(county)s) AND status IN (1, 2, 5, 7)
        GROUP BY district_id""",
    "province, one month by grid": """
        SELECT district_id, count(*) FROM {name}
        WHERE received_at >= date_trunc('month', now()) - interval '2 months'
          AND received_at < date_trunc('month', now()) - interval '1 month'
        GROUP BY district_id""",
}


def _connect(dbname: str) -> psycopg.Connection:
    url = os.environ.get("DATABASE_URL", "postgresql://houhu@127.0.0.1:54329/houhu")
    import dj_database_url

    cfg = dj_database_url.parse(url)
    return psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname=dbname,
        autocommit=True,
    )


def _timed(cur, sql: str, params: dict | None = None) -> float:
    start = time.perf_counter()
    cur.execute(sql, params)
    if cur.description:
        cur.fetchall()
    return time.perf_counter() - start


def build(cur) -> dict[str, float]:
    """Both tables; returns the seconds each step took."""
    took = {}
    cur.execute("SET max_parallel_workers_per_gather = 0")  # a shared 2-core machine
    cur.execute(TABLE.format(name="plain", partition=""))
    took["generate plain"] = _timed(
        cur, GENERATE.format(name="plain", grids=GRIDS, years=YEARS, rows=ROWS)
    )
    start = time.perf_counter()
    for ix in INDEXES:
        cur.execute(ix.format(name="plain"))
    took["index plain"] = time.perf_counter() - start
    cur.execute(TABLE.format(name="monthly", partition="PARTITION BY RANGE (received_at)"))
    cur.execute(
        "SELECT date_trunc('month', now() - make_interval(years => %s)),"
        " date_trunc('month', now())",
        [YEARS],
    )
    first, last = cur.fetchone()
    cur.execute(
        "SELECT m, m + interval '1 month' FROM generate_series(%s::timestamptz, %s, '1 month') m",
        [first, last],
    )
    for lo, hi in cur.fetchall():
        name = f"monthly_{lo:%Y%m}"
        # DDL takes no parameters: the bounds are timestamps this script made.
        cur.execute(
            f"CREATE TABLE {name} PARTITION OF monthly"
            f" FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
        )
    took["copy monthly"] = _timed(cur, "INSERT INTO monthly SELECT * FROM plain")
    start = time.perf_counter()
    for ix in INDEXES:
        cur.execute(ix.format(name="monthly"))
    took["index monthly"] = time.perf_counter() - start
    cur.execute("VACUUM ANALYZE plain")
    cur.execute("VACUUM ANALYZE monthly")
    return took


def main() -> None:
    admin = _connect("postgres")
    # BENCH_KEEP=1: keep the scratch database, and measure again on it next time.
    keep = os.environ.get("BENCH_KEEP") == "1"
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [SCRATCH]).fetchone()
    if not (keep and exists):
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
        admin.execute(f"CREATE DATABASE {SCRATCH}")
    conn = None
    try:
        conn = _connect(SCRATCH)
        cur = conn.cursor()
        took = {} if keep and exists else build(cur)
        cur.execute("SET max_parallel_workers_per_gather = 0")
        for step, s in took.items():
            print(f"{step:<20} {s:8.1f} s")
        cur.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('plain')),"
            " (SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid)))"
            "  FROM pg_inherits WHERE inhparent = 'monthly'::regclass),"
            " (SELECT count(*) FROM pg_inherits WHERE inhparent = 'monthly'::regclass)"
        )
        size_plain, size_monthly, parts = cur.fetchone()
        print(f"rows {ROWS:,}; plain {size_plain}; monthly {size_monthly} in {parts} partitions")
        rng = random.Random(2016)
        print(f"{'query':<32} {'plain':>10} {'monthly':>10} {'ratio':>7}")
        for label, sql in QUERIES.items():
            samples: dict[str, list[float]] = {"plain": [], "monthly": []}
            for i in range(REPEAT + 1):
                # A county's grids, as the dashboard names them: a list of ids.
                c0 = rng.randrange(0, GRIDS // GRIDS_PER_COUNTY) * GRIDS_PER_COUNTY + 1
                county = list(range(c0, c0 + GRIDS_PER_COUNTY))
                params = {"d": rng.randint(1, GRIDS), "county": county}
                for name in ("plain", "monthly") if i % 2 else ("monthly", "plain"):
                    t = _timed(cur, sql.format(name=name), params)
                    if i:  # the first round warms the caches
                        samples[name].append(t)
            p, m = statistics.median(samples["plain"]), statistics.median(samples["monthly"])
            print(f"{label:<32} {p * 1000:8.2f}ms {m * 1000:8.2f}ms {m / p:6.2f}x")
    finally:
        if conn is not None:
            conn.close()
        if not keep:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
