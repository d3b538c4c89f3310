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

from .db_router import read_connection

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


def from_queryset(rows: QuerySet) -> str:
    """The FeatureCollection of a `.values(...)` queryset with `id` and `geom` among its
    columns (annotate the geometry as `geom=F("location")` when the field is named
    otherwise)."""
    sql, params = rows.order_by().query.sql_with_params()
    return from_sql(sql, params)
