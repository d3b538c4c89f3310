"""M3 (issue 10): vector tiles of a county (bench/county.py: `load_demo --scale 20` and
years of reports), a county leader's view (every district), layers households and
reports, TILES_PER_ZOOM tiles at each zoom 10..16 around seeded random households.

- a tile through the endpoint (gunicorn, gzip as served, the tile cache empty: built on
  the spot) ÷ the raw `ST_AsMVT` statement the endpoint runs for it, fetched by this
  process: p95 of each over all tiles (target <= 1.2);
- a cached tile ÷ the same tile cold, through the endpoint (medians; target <= 0.1): cold
  is the tile made stale by its grids' versions, as a change makes it, with the server
  knowing the reader from an earlier tile; the hello-world view through the same server is
  printed as the floor;
- gzipped MVT bytes ÷ the same features as gzipped GeoJSON (the tile's rows through the
  project's GeoJSON builder), over the tiles where every row is drawn (target <= 0.5).

    make bench ARGS=bench/bench_tiles.py        # BENCH_TILES_PER_ZOOM=8
"""

from __future__ import annotations

import gzip
import math
import os
import random
import statistics
import time

from common import setup_django
from server import Server, capture_sql, session_headers

setup_django()

from county import ensure_county  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from houhu.accounts.models import User  # noqa: E402
from houhu.grid.models import District  # noqa: E402
from houhu.lib import geojson, tilecache  # noqa: E402

TILES_PER_ZOOM = int(os.environ.get("BENCH_TILES_PER_ZOOM", "8"))
ZOOMS = range(10, 17)
LAYERS = ("households", "reports")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def sample_tiles() -> list[tuple[int, int, int]]:
    rng = random.Random(10)
    with connection.cursor() as cur:
        cur.execute("SELECT ST_X(location), ST_Y(location) FROM grid_household")
        points = cur.fetchall()
    tiles = []
    for z in ZOOMS:
        for lon, lat in rng.sample(points, TILES_PER_ZOOM):
            tiles.append(tile_of(lon, lat, z))
    return tiles


def main() -> None:
    print("county:", ensure_county())
    leader = User.objects.filter(role=User.Role.LEADER).order_by("pk").first()
    client = Client(HTTP_HOST="localhost")
    client.force_login(leader)
    headers = session_headers(leader)
    tiles = sample_tiles()
    rows = []  # (layer, zxy, endpoint cold s, statement s, cached s, mvt gz bytes, geojson gz)
    hello: list[float] = []
    district_ids = list(District.objects.values_list("pk", flat=True))
    with Server() as server:
        conn = server.connection()
        for layer in LAYERS:
            for zxy in tiles:
                path = "/tiles/{}/{}/{}/{}.pbf".format(layer, *zxy)
                # The statement the endpoint runs for this tile, captured in-process.
                tilecache.clear()
                seen = capture_sql(lambda path=path: client.get(path))
                sql, params = next((s, p) for s, p in seen if "ST_AsMVT" in s)

                def statement(sql=sql, params=params) -> bytes:
                    with connection.cursor() as cur:
                        cur.execute(sql, params)
                        data = cur.fetchone()[0]
                    return bytes(data) if data else b""

                statement()  # warm the same pages for both
                start = time.perf_counter()
                raw = statement()
                t_sql = time.perf_counter() - start
                # Cold as a tile is in use: made stale by a change in its grids (the
                # versions bumped), its reader and its grids known to the server from an
                # earlier tile (houhu.accounts.reader_cache). Emptying the whole cache
                # instead would also make the server learn who the leader is again.
                server.get(path, headers, conn=conn)
                tilecache.bump([layer], district_ids)
                start = time.perf_counter()
                status, got, body = server.get(path, headers, conn=conn)
                t_cold = time.perf_counter() - start
                assert status == 200, (status, body[:200])
                start = time.perf_counter()
                status, _got, again = server.get(path, headers, conn=conn)
                t_cached = time.perf_counter() - start
                assert again == body
                # The floor: a view that reads nothing, through the same server and
                # connection (houhu.urls: health/live).
                start = time.perf_counter()
                assert server.get("/health/live/", conn=conn)[0] == 200
                hello.append(time.perf_counter() - start)
                served = gzip.decompress(body) if got.get("content-encoding") == "gzip" else body
                # The endpoint serves the statement's tile: the same bytes, or the same
                # features in another order (a parallel plan gathers the workers' rows in
                # whatever order they come: the statement run twice differs too).
                assert served == raw or features(served) == features(raw), path
                rows.append(
                    (layer, zxy, t_cold, t_sql, t_cached, len(body), geojson_size(layer, zxy, sql))
                )
        conn.close()
    summarise(rows, hello)


def features(tile: bytes) -> list:
    import mapbox_vector_tile

    return sorted(
        (name, f.get("id"), repr(f["geometry"]), sorted(f["properties"].items()))
        for name, layer in mapbox_vector_tile.decode(tile).items()
        for f in layer["features"]
    )


# The same rows and attributes as a tile of rows, as a GeoJSON FeatureCollection built by
# the project's builder (houhu.lib.geojson): the box is the tile with the tile's buffer.
GEOJSON_ROWS = {
    "households": """
        SELECT h.id, t.district_id, h.is_aquaculture, h.location AS geom
        FROM grid_household h JOIN grid_transformerarea t ON t.id = h.transformer_area_id
        WHERE h.location && ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => %s), 4326)""",
    "reports": """
        SELECT r.id, r.kind, r.status, r.in_zone, r.district_id, r.location AS geom
        FROM patrols_report r
        WHERE r.location && ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => %s), 4326)
          AND (r.status IN ('submitted', 'confirmed', 'reopened', 'escalated')
               OR r.status_changed_at >= %s)""",
}


def geojson_size(layer: str, zxy, mvt_sql: str) -> int | None:
    """Gzipped bytes of the tile's features as GeoJSON, for tiles of rows (not cells)."""
    if "GROUP BY floor" in mvt_sql:
        return None
    from houhu.lib import mvt
    from patrols.tiles import closed_since

    params = [*zxy, mvt.buffer_margin()]
    if layer == "reports":
        params.append(closed_since())
    return len(mvt.gzipped(geojson.from_sql(GEOJSON_ROWS[layer], params).encode()))


def summarise(rows, hello: list[float]) -> None:
    cold = [r[2] for r in rows]
    sql = [r[3] for r in rows]
    cached = [r[4] for r in rows]
    print(f"tiles: {len(rows)} ({', '.join(LAYERS)} x zooms {ZOOMS.start}-{ZOOMS.stop - 1})")
    for z in ZOOMS:
        zr = [r for r in rows if r[1][0] == z]
        print(
            f"  z{z}: endpoint median {statistics.median(r[2] for r in zr) * 1000:7.1f} ms, "
            f"statement {statistics.median(r[3] for r in zr) * 1000:7.1f} ms, "
            f"cached {statistics.median(r[4] for r in zr) * 1000:5.1f} ms, "
            f"gzip bytes median {statistics.median(r[5] for r in zr):8.0f}"
        )
    ratio = p95(cold) / p95(sql)
    print(
        f"M3 endpoint p95 {p95(cold) * 1000:.1f} ms / statement p95 {p95(sql) * 1000:.1f} ms "
        f"= {ratio:.2f}x (target <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'})"
    )
    pairs = [(r[5], r[6]) for r in rows if r[6]]
    if pairs:
        mvt_b, gj_b = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
        print(
            f"M3 gzipped MVT {mvt_b / 1e3:.0f} kB / gzipped GeoJSON {gj_b / 1e3:.0f} kB "
            "of the same "
            f"features ({len(pairs)} tiles of rows) = {mvt_b / gj_b:.2f}x "
            f"(target <= 0.5: {'met' if mvt_b / gj_b <= 0.5 else 'NOT met'})"
        )
    hit = statistics.median(cached) / statistics.median(cold)
    print(
        f"M3 cached median {statistics.median(cached) * 1000:.1f} ms / cold median "
        f"{statistics.median(cold) * 1000:.1f} ms = {hit:.3f}x "
        f"(target <= 0.1: {'met' if hit <= 0.1 else 'NOT met'})"
    )
    print(
        f"   floor: hello-world median {statistics.median(hello) * 1000:.2f} ms through the "
        f"same server = {statistics.median(hello) / statistics.median(cold):.3f}x of cold"
    )


if __name__ == "__main__":
    main()
