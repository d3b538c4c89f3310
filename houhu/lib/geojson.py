"""The one GeoJSON FeatureCollection builder: every map layer is built by PostGIS.

Why SQL: djangorestframework-gis' GeoFeatureModelSerializer spends ~4.5 s in Python
(GEOS -> OGR -> json per feature) on one station's 13,700 households; PostGIS aggregates
the same FeatureCollection in ~60 ms (../shared/stack-notes.md). Measured here on the
demo station (13,700 points, 3.4 MB, a busy 2-core machine): 4.2 s vs 0.12-0.17 s, and
14.3 s vs 0.33 s under heavier load (docs/benchmarks.md). So a layer is one statement
returning one text value:

    SELECT '{"type":"FeatureCollection","features":['
           || COALESCE(string_agg(ST_AsGeoJSON(f.*, 'geom', 6), ',' ORDER BY f.id), '')
           || ']}'
    FROM (<layer select>) AS f

`ST_AsGeoJSON(record, 'geom', 6)` writes the `geom` column as the geometry (6 decimals,
~0.1 m) and every other column as a property, so a layer's SELECT *is* its properties;
it must have an `id` column (the features' order) and a `geom` column. The features are
joined as text: casting each to `json` and `json_agg`-ing them parses and re-serialises
every feature for nothing (~25 % slower when measured on the households layer).

No value from a request is ever formatted into the SQL text: callers pass either a
queryset (Django compiles it, values are parameters) or a SELECT made of their own
constants with its parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from isal import isal_zlib as _deflate
from psycopg.adapt import Loader

from .db_router import read_connection

GEOJSON = "application/geo+json"

# Braces doubled: a str.format template whose one field is the layer's SELECT.
FEATURE_COLLECTION_SQL = """
SELECT '{{"type":"FeatureCollection","features":['
       || COALESCE(string_agg(ST_AsGeoJSON(f.*, 'geom', 6), ',' ORDER BY f.id), '')
       || ']}}'
FROM ({select}) AS f
"""


def from_sql(select: str, params: Sequence[Any] | dict[str, Any] = ()) -> str:
    """The FeatureCollection of a SELECT with an `id` and a `geom` column, as text."""
    # The replica inside a view that opted in (houhu.lib.db_router), else the primary.
    with read_connection().cursor() as cursor:
        cursor.execute(FEATURE_COLLECTION_SQL.format(select=select), params)
        return cursor.fetchone()[0]


def bytes_from_sql(select: str, params: Sequence[Any] | dict[str, Any] = ()) -> bytes:
    """`from_sql` as the UTF-8 bytes PostgreSQL sends: megabytes of a layer are not decoded
    into a str only to be encoded again for the response."""
    with read_connection().cursor() as cursor:
        cursor.cursor.adapters.register_loader("text", _Utf8Bytes)
        cursor.execute(FEATURE_COLLECTION_SQL.format(select=select), params)
        return cursor.fetchone()[0]


class _Utf8Bytes(Loader):
    """A text column as the bytes on the wire (the connection's encoding is UTF-8)."""

    def load(self, data) -> bytes:
        return bytes(data)


# Level 1 for layers: on the households layer of a station (3.4 MB) it compresses in a
# fraction of level 6's time (GZipMiddleware's) for a few more bytes; the endpoint's time
# over the bare statement is what issue 10's M1 measures (docs/benchmarks.md). ISA-L's
# deflate (python-isal, a declared dependency; the same gzip stream as zlib's) does it in
# about a quarter of zlib's time and smaller (a 3.9 MB layer: 4 ms and 573 kB against 16 ms
# and 642 kB).
GZIP_LEVEL = 1


def gzip(data: bytes) -> bytes:
    packer = _deflate.compressobj(GZIP_LEVEL, _deflate.DEFLATED, 31)  # 31: a gzip header
    return packer.compress(data) + packer.flush()


def accepts_gzip(request: HttpRequest) -> bool:
    """Does the client take a gzip body (layers here, and the tiles)?"""
    return "gzip" in request.headers.get("Accept-Encoding", "")


def response(request: HttpRequest, body: bytes | str) -> HttpResponse:
    """A layer's answer, gzipped here (GZipMiddleware then leaves it as it is) when the
    client accepts gzip."""
    data = body.encode() if isinstance(body, str) else body
    if accepts_gzip(request) and len(data) > 200:
        return gzipped_response(request, gzip(data))
    answer = HttpResponse(data, content_type=GEOJSON)
    patch_vary_headers(answer, ["Accept-Encoding"])
    return answer


def gzipped_response(request: HttpRequest, gzipped: bytes) -> HttpResponse:
    """A layer's answer from its gzipped bytes (as cached): as they are for a client that
    accepts gzip, inflated for one that does not."""
    if accepts_gzip(request):
        answer = HttpResponse(gzipped, content_type=GEOJSON)
        answer["Content-Encoding"] = "gzip"
    else:
        answer = HttpResponse(_deflate.decompress(gzipped, 31), content_type=GEOJSON)
    patch_vary_headers(answer, ["Accept-Encoding"])
    return answer


def from_queryset(rows: QuerySet) -> str:
    """The FeatureCollection of a `.values(...)` queryset with `id` and `geom` among its
    columns (annotate the geometry as `geom=F("location")` when the field is named
    otherwise)."""
    sql, params = rows.order_by().query.sql_with_params()
    return from_sql(sql, params)
