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


def distance_m(field: str, geom) -> Distance:
    """Distance in metres (spheroid) between a geometry column and a fixed geometry."""
    return Distance(geography(field), geography(Value(geom, output_field=models.GeometryField())))


def length_m(field: str) -> Length:
    """Length in metres (spheroid) of a line column."""
    return Length(geography(field, models.LineStringField))


class DWithinGeography(Func):
    """ST_DWithin(a::geography, b::geography, metres): index-backed "within N metres"."""

    function = "ST_DWithin"
    output_field = models.BooleanField()

    def __init__(self, field: str, geom, metres: float):
        super().__init__(
            geography(field),
            geography(Value(geom, output_field=models.GeometryField())),
            Value(float(metres)),
        )
