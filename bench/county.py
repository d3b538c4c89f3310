"""County data for the map benchmarks (bench_tiles.py, bench_workspace.py): the demo county
(`load_demo --scale N`) plus years of reports generated in SQL by bench_stats' statement
(over YEARS years instead of one), in chunks, until the target or the time budget is
reached. What was generated is printed, so the figures name the scale honestly.

Reports older than 90 days that the generator left open are rejected: a ledger that is
worked keeps its open reports recent (the demo loader's own year has ~5 % open).

    cd bench && DATABASE_URL=…/houhu_bench DJANGO_SETTINGS_MODULE=houhu.settings.dev \\
        ../.venv/bin/python county.py      # BENCH_YEARS=5 BENCH_REPORTS=5000000 BENCH_BUDGET_S=600
"""

from __future__ import annotations

import os
import sys
import time

from common import ensure_demo, setup_django

STATIONS = int(os.environ.get("BENCH_STATIONS", "20"))
YEARS = int(os.environ.get("BENCH_YEARS", "5"))
TARGET = int(os.environ.get("BENCH_REPORTS", "5000000"))
BUDGET_S = float(os.environ.get("BENCH_BUDGET_S", "600"))
CHUNK = 250_000

CLOSE_OLD = """
UPDATE patrols_report SET status = 'rejected'
WHERE status IN ('submitted', 'confirmed', 'reopened', 'escalated')
  AND received_at < now() - interval '90 days'
"""


def refuse_app_databases() -> None:
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    if name == "houhu" or name.startswith("test_"):
        sys.exit(f"Refusing to benchmark on {name!r}: use a database of its own (houhu_bench).")


def report_count() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM patrols_report")
        return cur.fetchone()[0]


def ensure_county() -> dict:
    """The county and its reports; returns what is there (and how long generating took)."""
    from bench_stats import GENERATE_REPORTS
    from django.db import connection

    refuse_app_databases()
    ensure_demo(STATIONS)
    span = f"{YEARS * 365} days"  # received_at spread over the last YEARS years
    have, started = report_count(), time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT min(id) FROM accounts_user")
        reporter = cur.fetchone()[0]
        while have < TARGET and time.perf_counter() - started < BUDGET_S:
            cur.execute(
                GENERATE_REPORTS,
                {"n": min(CHUNK, TARGET - have), "reporter": reporter, "offset": "0 days",
                 "span": span},
            )  # fmt: skip
            have = report_count()
            print(f"  reports: {have:,} after {time.perf_counter() - started:.0f} s", flush=True)
        cur.execute(CLOSE_OLD)
        cur.execute("ANALYZE patrols_report")
        cur.execute(
            "SELECT count(*), min(received_at)::date, max(received_at)::date FROM patrols_report"
        )
        n, first, last = cur.fetchone()
        cur.execute("SELECT count(*) FROM grid_household")
        households = cur.fetchone()[0]
    return {
        "stations": STATIONS,
        "households": households,
        "reports": n,
        "first": first,
        "last": last,
        "generated_s": round(time.perf_counter() - started),
    }


if __name__ == "__main__":
    setup_django()
    print(ensure_county())
