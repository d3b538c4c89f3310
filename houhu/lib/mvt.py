"""The one Mapbox Vector Tile builder: every tile is one PostGIS statement
(`ST_AsMVT` over `ST_AsMVTGeom` in `ST_TileEnvelope`), as `geojson` is for GeoJSON.

Written here rather than taken from django-vectortiles (1.0.2 is installable): its layer
is one `.values()` queryset per tile, which cannot express the low-zoom aggregates below
(a GROUP BY on grid cells of the tile), and it filters with an envelope in EPSG:3857
against our EPSG:4326 columns, which makes PostgreSQL transform every row instead of
using the column's GiST index. Here the rows are selected with a 4326 box computed from
the tile numbers (index scan), and only the selected rows are transformed.

Two shapes of tile layer, both from a caller's queryset (scoped to the user and filtered
by the caller; Django compiles it, so no request value is formatted into SQL):

- `points_tile` / `features_tile`: every row, its `.values()` columns as attributes;
- `cells_tile`: at low zooms, rows counted per square cell of `CELL_PX` screen pixels
  (cells nest inside tiles, so a point is counted in exactly one tile), drawn at the mean
  position of its rows, with the caller's aggregates (`count(*) FILTER (...)`) as
  attributes. A county's 275,000 households become a few hundred points per tile.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Sequence
from typing import Any

from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import QuerySet

EXTENT = 4096  # tile coordinate units of lines and areas (the MVT default)
# Points (households, reports, cells) need no finer than half a pixel of a 256-pixel tile,
# a device pixel on a 2x screen: 512 units take 3 bits less per coordinate than 4096,
# 10 % fewer gzipped bytes for a tile of households (docs/benchmarks.md, M3).
POINT_EXTENT = 512
# A 64th of a tile (4 px) drawn beyond each edge, so a marker is not cut at a tile border.
BUFFER_SHARE = 1 / 64
CELL_PX = 32  # a low-zoom cell, in screen pixels of a 256-pixel tile
MAX_ZOOM = 20
# Half the earth's circumference in EPSG:3857 metres.
ORIGIN = 20037508.342789244


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def _lon(x: float, z: int) -> float:
    return x / 2**z * 360.0 - 180.0


def _lat(y: float, z: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / 2**z))))


def tile_bounds_4326(z: int, x: int, y: int, *, margin: float = 0.0) -> Polygon:
    """The tile (widened by `margin` tiles on each side) as a WGS-84 box: Web Mercator
    keeps meridians and parallels straight, so four corners are exact."""
    n = 2**z
    x0, x1 = max(x - margin, 0), min(x + 1 + margin, n)
    y0, y1 = max(y - margin, 0), min(y + 1 + margin, n)
    box = Polygon.from_bbox((_lon(x0, z), _lat(y1, z), _lon(x1, z), _lat(y0, z)))
    box.srid = 4326
    return box


def buffer_margin() -> float:
    """The buffer, in tiles (tile_bounds_4326's margin)."""
    return BUFFER_SHARE


def _buffer(extent: int) -> int:
    return round(extent * BUFFER_SHARE)


def cell_metres(z: int) -> float:
    return 2 * ORIGIN / 2**z * CELL_PX / 256


def _fetch(sql: str, params: Sequence[Any]) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    data = row[0] if row else None
    return bytes(data) if data else b""


# The tile's envelope in 3857 for ST_AsMVTGeom; the selection itself is done by the
# caller's queryset with a 4326 box (index), see the module docstring.
_ENVELOPE = "ST_TileEnvelope(%s, %s, %s)"


def features_tile(
    layer: str,
    rows: QuerySet,
    *,
    columns: Sequence[str],
    z: int,
    x: int,
    y: int,
    geom: str = "geom",
    feature_id: str | None = None,
    extent: int = EXTENT,
) -> bytes:
    """One MVT layer of every row of a queryset (a column `geom` in 4326, already filtered
    to the tile's box, widened by the buffer); `columns` (output names of its SELECT,
    module constants of the caller) become the attributes, `feature_id` (an integer
    column) the features' ids: a varint of the feature, not an entry in the layer's table
    of values (unique values are what MVT's dictionary cannot shrink)."""
    sql, params = rows.order_by().query.sql_with_params()
    attrs = ", ".join(f'q."{c}"' for c in columns)
    if feature_id:
        attrs += f', q."{feature_id}" AS mvt_id'
    id_arg = ", 'mvt_id'" if feature_id else ""
    statement = (
        f"SELECT ST_AsMVT(t, %s, {int(extent)}, 'mvt_geom'{id_arg}) FROM ("  # noqa: S608
        f'SELECT {attrs}, ST_AsMVTGeom(ST_Transform(q."{geom}", 3857), {_ENVELOPE}, '
        f"{int(extent)}, {_buffer(extent)}, true) AS mvt_geom FROM ({sql}) q"
        ") t WHERE t.mvt_geom IS NOT NULL"
    )
    return _fetch(statement, [layer, z, x, y, *params])


def cells_tile(
    layer: str,
    rows: QuerySet,
    *,
    z: int,
    x: int,
    y: int,
    geom: str = "geom",
    aggregates: dict[str, str] | None = None,
) -> bytes:
    """One MVT layer of the rows counted per cell: attribute `n` (rows in the cell) plus
    `aggregates`, a name -> SQL aggregate over the queryset's columns as `q."col"` (module
    constants of the caller, never request values). `rows` must hold only points inside
    the tile itself (no margin), so that every row is counted once across tiles."""
    sql, params = rows.order_by().query.sql_with_params()
    extra = "".join(f', {expr} AS "{name}"' for name, expr in (aggregates or {}).items())
    cell = cell_metres(z)
    statement = (
        f"SELECT ST_AsMVT(t, %s, {POINT_EXTENT}, 'mvt_geom') FROM ("  # noqa: S608
        f"SELECT count(*) AS n{extra}, "
        f"ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(avg(ST_X(p)), avg(ST_Y(p))), 3857), "
        f"{_ENVELOPE}, {POINT_EXTENT}, {_buffer(POINT_EXTENT)}, true) AS mvt_geom "
        f'FROM (SELECT q.*, ST_Transform(q."{geom}", 3857) AS p FROM ({sql}) q) q '
        "GROUP BY floor(ST_X(p) / %s), floor(ST_Y(p) / %s)"
        ") t WHERE t.mvt_geom IS NOT NULL"
    )
    return _fetch(statement, [layer, z, x, y, *params, cell, cell])


def gzipped(data: bytes) -> bytes:
    # Level 6: within a few per cent of level 9's size on tiles, at a third of its time.
    return gzip.compress(data, compresslevel=6, mtime=0)
