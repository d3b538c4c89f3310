"""The one decision on metres.

Geometry is stored as WGS-84 (EPSG:4326) `geometry` columns: that is what phones send and
what Leaflet draws, and PostGIS's planar predicates (ST_Within, ST_Intersects) need
`geometry`. Every distance or length in metres is computed on the spheroid by casting to
`geography`. The tables queried by distance carry a GiST index on that cast (see the
models' Meta), so `ST_DWithin(geom::geography, point::geography, m)` is an index scan.

Why not a metric projection: a county spans two 3-degree Gauss-Kruger zones, and a cast is
exact everywhere without choosing one.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Distance, Length
from django.db.models import Func, Value
from django.db.models.functions import Cast


def geography(expression: str | Func, kind: type[models.GeometryField] = models.GeometryField):
    """`expression::geography`, for distances and lengths in metres."""
    return Cast(expression, kind(geography=True, srid=4326))


def _fixed(geom) -> Cast:
    return geography(Value(geom, output_field=models.GeometryField()))


# The column side is cast to its own type (geography(POINT), geography(LINESTRING)): PostgreSQL
# uses an expression index only for the identical expression, and the GiST indexes in the
# models are built on those typed casts (measured by the patrols work: nearest household
# 40 ms as a scan -> under 1 ms through the index on one station's 13,700 households).
def within_m(field: str, kind: type[models.GeometryField], geom, metres: float) -> Func:
    """ST_DWithin(field::geography(kind), geom::geography, metres): index-backed."""
    return Func(
        geography(field, kind),
        _fixed(geom),
        Value(float(metres)),
        function="ST_DWithin",
        output_field=models.BooleanField(),
    )


def distance_m(field: str, kind: type[models.GeometryField], geom) -> Distance:
    """Spheroid distance in metres from a column to a fixed geometry, on the indexed cast."""
    return Distance(geography(field, kind), _fixed(geom))


def length_m(field: str) -> Length:
    """Length in metres (spheroid) of a line column."""
    return Length(geography(field, models.LineStringField))


def metres_between(a, b) -> float:
    """Spheroid distance in metres between two fixed points (one query): for a check on one
    pair, such as a verification photo's position against its hazard."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Distance(ST_GeomFromEWKT(%s)::geography, ST_GeomFromEWKT(%s)::geography)",
            [a.ewkt, b.ewkt],
        )
        return float(cursor.fetchone()[0])
