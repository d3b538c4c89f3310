"""Benchmark of issue 9: `verify_ledger` on a chain of a million entries, against a bare
scan of the same rows.

    make bench ARGS=bench/bench_ledger.py      (its own database, houhu_bench)

- setup: one station's chain of BENCH_LEDGER_ENTRIES (1,000,000) report entries, built in
  SQL with the very functions the appender uses (houhu.ledger.sql), so it verifies intact;
  rebuilt only when missing;
- measured: `houhu.ledger.verify.first_breaks(station)`, the query `manage.py
  verify_ledger --station` runs (every content hash recomputed, every link checked);
- baseline: `SELECT count(*), sum(octet_length(data::text) + octet_length(entry_hash))`
  over the same rows: reading them and printing each entry's data, nothing hashed;
- then one entry is changed in SQL and the verifier must name it.
"""

from __future__ import annotations

import os
import time

from common import report, setup_django

ENTRIES = int(os.environ.get("BENCH_LEDGER_ENTRIES", "1000000"))
STATION = 990_001  # far from any real station id of the bench database

GENERATE = """
CREATE FUNCTION pg_temp.bench_chain(p_station bigint, n integer)
RETURNS TABLE (station_id bigint, seq bigint, actor_id bigint, at timestamptz,
               object_kind text, object_id bigint, action text, data jsonb,
               content_hash bytea, prev_hash bytea, entry_hash bytea)
LANGUAGE plpgsql AS $$
DECLARE
    prev bytea := %(genesis)s;
BEGIN
    FOR i IN 1..n LOOP
        station_id := p_station; seq := i; actor_id := 1 + i %% 40;
        at := timestamptz '2026-01-01 08:00+08' + i * interval '20 seconds';
        object_kind := 'report'; object_id := 1 + i / 4;
        action := (ARRAY['submit', 'confirm', 'clear', 'verify'])[1 + i %% 4];
        data := jsonb_build_object('id', i, 'report_id', object_id, 'from_status', '',
                                   'to_status', 'submitted', 'note', '树枝碰线 ' || i,
                                   'data', '{}'::jsonb);
        content_hash := ledger_content_hash(actor_id, at, object_kind, object_id, action, data);
        prev_hash := prev;
        entry_hash := ledger_entry_hash(station_id, seq, prev_hash, content_hash);
        prev := entry_hash;
        RETURN NEXT;
    END LOOP;
END;
$$;
"""


def _build(cursor) -> None:
    from houhu.ledger.sql import GENESIS

    cursor.execute("SELECT count(*) FROM ledger_entry WHERE station_id = %s", [STATION])
    if cursor.fetchone()[0] == ENTRIES:
        return
    cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_immutable")
    cursor.execute("DELETE FROM ledger_entry WHERE station_id = %s", [STATION])
    cursor.execute("ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_immutable")
    cursor.execute(GENERATE % {"genesis": GENESIS})
    start = time.perf_counter()
    cursor.execute(
        "INSERT INTO ledger_entry (station_id, seq, actor_id, at, object_kind, object_id,"
        " action, data, content_hash, prev_hash, entry_hash)"
        " SELECT * FROM pg_temp.bench_chain(%s, %s)",
        [STATION, ENTRIES],
    )
    cursor.execute("ANALYZE ledger_entry")
    print(f"built {ENTRIES:,} entries in {time.perf_counter() - start:.1f} s")


def main() -> None:
    setup_django()
    from django.db import connection, transaction

    from houhu.ledger import verify

    with transaction.atomic(), connection.cursor() as cursor:
        _build(cursor)

    def baseline() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), sum(octet_length(data::text) + octet_length(entry_hash))"
                " FROM ledger_entry WHERE station_id = %s",
                [STATION],
            )
            cursor.fetchone()

    def measured() -> None:
        assert verify.first_breaks(STATION) == []

    samples = {"baseline": [], "measured": []}
    for fn, name in ((baseline, "baseline"), (measured, "measured")) * 4:
        start = time.perf_counter()
        fn()
        samples[name].append(time.perf_counter() - start)
    # The first of each warms the cache; the best of the rest is the machine's speed.
    base, meas = min(samples["baseline"][1:]), min(samples["measured"][1:])
    report(f"verify_ledger, {ENTRIES:,} entries", "count/sum scan", base, meas)
    print(f"  {ENTRIES / meas:,.0f} entries/s")

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_immutable")
        cursor.execute(
            'UPDATE ledger_entry SET data = data || \'{"note": "x"}\''
            " WHERE station_id = %s AND seq = %s",
            [STATION, ENTRIES // 2],
        )
        found = verify.first_breaks(STATION)
        assert [(b.seq, b.problem) for b in found] == [(ENTRIES // 2, "content")], found
        print(f"  tampered entry #{ENTRIES // 2} named: {found[0].describe()}")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
