"""M1 (issue 10): the households layer of one station as GeoJSON through the HTTP endpoint
(gunicorn, gzip as served) against the single SQL statement that builds the same
FeatureCollection, fetched by a client (this process's database connection), in the same
run, interleaved, medians. Target: <= 1.15 gzipped. Two figures: the layer built on the
spot (the tile cache emptied first: the first load after a change) and as later loads get
it from the cache (houhu.grid.layer_cache).

    make bench ARGS=bench/bench_geojson.py          # BENCH_REPEAT=9
"""

from __future__ import annotations

import gzip
import os
import statistics
import time

from common import ensure_demo, setup_django
from server import Server, capture_sql, session_headers

setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from houhu.accounts.models import User  # noqa: E402
from houhu.grid.models import Station  # noqa: E402
from houhu.lib import geojson, tilecache  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "9"))
PATH = "/api/layers/households/"


def main() -> None:
    ensure_demo(1)
    station = Station.objects.order_by("id").first()
    staff = User.objects.filter(role=User.Role.STAFF, station=station).order_by("pk").first()

    # The statement the endpoint runs for this user, captured from an in-process request.
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    tilecache.clear()  # built, not read from an earlier run's cache
    statements = capture_sql(lambda: client.get(PATH))
    sql, params = next((s, p) for s, p in statements if "FeatureCollection" in s)

    def statement() -> int:
        with connection.cursor() as cur:
            # The text as bytes, as the endpoint fetches it: neither side decodes it.
            cur.cursor.adapters.register_loader("text", geojson._Utf8Bytes)
            cur.execute(sql, params)
            return len(cur.fetchone()[0])

    headers = session_headers(staff, gzip=True)
    with Server() as server:
        conn = server.connection()

        def endpoint() -> bytes:
            # The gzipped answer as served, received whole: what the server does. The
            # client's own inflating of it is timed apart (`inflate` below), as the
            # statement's side has nothing to inflate.
            status, got, body = server.get(PATH, headers, conn=conn)
            assert status == 200, (status, body[:200])
            assert got.get("content-encoding") == "gzip", got
            return body

        plain = statement()
        body = endpoint()
        wire, served = len(body), len(gzip.decompress(body))
        assert served == plain, (served, plain)  # the same FeatureCollection, byte for byte
        statement()
        base, cold, cached, inflate = [], [], [], []
        for _ in range(REPEAT):
            start = time.perf_counter()
            statement()
            base.append(time.perf_counter() - start)
            # Built on the spot: the first load after a change of the station's households.
            tilecache.clear()
            start = time.perf_counter()
            body = endpoint()
            cold.append(time.perf_counter() - start)
            start = time.perf_counter()
            assert len(gzip.decompress(body)) == plain
            inflate.append(time.perf_counter() - start)
            # As every later page load gets it until the next change (houhu.grid.layer_cache).
            start = time.perf_counter()
            endpoint()
            cached.append(time.perf_counter() - start)
        conn.close()
    b = statistics.median(base)
    i = statistics.median(inflate)
    print(
        f"M1 households of station {station.code}: {plain / 1e6:.2f} MB GeoJSON, "
        f"{wire / 1e3:.0f} kB gzipped on the wire ({plain / wire:.1f}x smaller); the "
        f"client inflates it in {i * 1000:.1f} ms (not in the figures below)"
    )
    for what, times in (("built", cold), ("cached", cached)):
        o = statistics.median(times)
        print(
            f"M1 endpoint (gzip, {what}) {o * 1000:.0f} ms / SQL statement {b * 1000:.0f} ms "
            f"= {o / b:.2f}x  (target <= 1.15: {'met' if o / b <= 1.15 else 'NOT met'});"
            f" with the client's inflating {(o + i) / b:.2f}x"
        )


if __name__ == "__main__":
    main()
