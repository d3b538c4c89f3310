"""The core map layers (grids, transformers, lines, segments, households), built by the
project's one GeoJSON builder in PostGIS (`houhu.lib.geojson`, which says why SQL).

Each layer's SELECT *is* its properties (plus `geom`). Which rows: the caller passes a
queryset already scoped to the user and filtered by bbox and district (`selectors` +
`filtered`); its SQL becomes an `id IN (...)` subquery with its own parameters. No value
from the request is ever formatted into the SQL text: the table and column names below
are constants of this module.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Polygon
from django.db.models import QuerySet

from houhu.lib import geojson

from .models import (
    District,
    DistrictCounts,
    Household,
    Line,
    Segment,
    Station,
    TransformerArea,
)


@cache
def _tables() -> dict[str, str]:
    return {
        "district": District._meta.db_table,
        "counts": DistrictCounts._meta.db_table,
        "station": Station._meta.db_table,
        "user": get_user_model()._meta.db_table,
        "ta": TransformerArea._meta.db_table,
        "household": Household._meta.db_table,
        "line": Line._meta.db_table,
        "segment": Segment._meta.db_table,
    }


# Properties per layer, in the order of the API contract (the map page reads them).
DISTRICTS_SELECT = """
SELECT d.id, d.code, d.name, d.station_id AS station, s.name AS station_name,
       COALESCE(NULLIF(u.display_name, ''), u.username) AS manager_name,
       d.manager_phone,
       COALESCE(c.household_count, (
           SELECT count(*) FROM {household} h JOIN {ta} t ON t.id = h.transformer_area_id
           WHERE t.district_id = d.id AND h.is_active)) AS household_count,
       COALESCE(c.aquaculture_household_count, (
           SELECT count(*) FROM {household} h JOIN {ta} t ON t.id = h.transformer_area_id
           WHERE t.district_id = d.id AND h.is_active AND h.is_aquaculture
       )) AS aquaculture_household_count,
       COALESCE(c.transformer_area_count, (
           SELECT count(*) FROM {ta} t WHERE t.district_id = d.id)) AS transformer_area_count,
       d.boundary AS geom
FROM {district} d
JOIN {station} s ON s.id = d.station_id
LEFT JOIN {user} u ON u.id = d.manager_id
LEFT JOIN {counts} c ON c.district_id = d.id
WHERE d.id IN ({ids})
"""

TRANSFORMER_AREAS_SELECT = """
SELECT t.id, t.code, t.name, t.district_id AS district,
       (SELECT count(*) FROM {household} h
        WHERE h.transformer_area_id = t.id AND h.is_active) AS household_count,
       t.transformer AS geom
FROM {ta} t
WHERE t.id IN ({ids})
"""

LINES_SELECT = """
SELECT l.id, l.code, l.name, l.voltage_kv, l.geom
FROM {line} l
WHERE l.id IN ({ids})
"""

SEGMENTS_SELECT = """
SELECT g.id, g.code, g.line_id AS line, l.name AS line_name, g.seq, l.voltage_kv,
       g.district_id AS district,
       round(ST_Length(g.geom::geography)::numeric, 1) AS length_m,
       g.geom
FROM {segment} g
JOIN {line} l ON l.id = g.line_id
WHERE g.id IN ({ids})
"""

# Leaders get households without the head's name (privacy): the column stays, as null, so
# the map page reads one shape. Phones and addresses are in no layer.
HOUSEHOLDS_SELECT = """
SELECT h.id, h.customer_number, {head_name} AS head_name, h.village_id AS village,
       h.transformer_area_id AS transformer_area, t.district_id AS district,
       h.is_aquaculture, h.location AS geom
FROM {household} h
JOIN {ta} t ON t.id = h.transformer_area_id
WHERE h.id IN ({ids})
"""


def _feature_collection(select: str, rows: QuerySet, **consts: str) -> bytes:
    ids_sql, ids_params = rows.order_by().values("pk").query.sql_with_params()
    return geojson.bytes_from_sql(select.format(ids=ids_sql, **_tables(), **consts), ids_params)


def districts_layer(rows: QuerySet[District]) -> bytes:
    return _feature_collection(DISTRICTS_SELECT, rows)


def transformer_areas_layer(rows: QuerySet[TransformerArea]) -> bytes:
    return _feature_collection(TRANSFORMER_AREAS_SELECT, rows)


def lines_layer(rows: QuerySet[Line]) -> bytes:
    return _feature_collection(LINES_SELECT, rows)


def segments_layer(rows: QuerySet[Segment]) -> bytes:
    return _feature_collection(SEGMENTS_SELECT, rows)


def households_layer(rows: QuerySet[Household], *, with_names: bool) -> bytes:
    return _feature_collection(
        HOUSEHOLDS_SELECT, rows, head_name="h.head_name" if with_names else "NULL::text"
    )


# --- bbox and district filters, per layer: which geometry, which grid -----------------


def filtered(
    rows: QuerySet, *, geom: str, district: str, bbox: Polygon | None, district_id: int | None
) -> QuerySet:
    """Keep the rows whose `geom` intersects `bbox` (edge-crossers included: ST_Intersects,
    not the contained-only default of drf-gis' InBBoxFilter) and that lie in `district_id`
    (through the lookup path `district`)."""
    if bbox is not None:
        bbox.srid = 4326
        rows = rows.filter(**{f"{geom}__intersects": bbox})
    if district_id is not None:
        rows = rows.filter(**{district: district_id})
    return rows
