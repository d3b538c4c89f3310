"""The households map layer of one station (13,700 points): GeoJSON built in PostGIS
(`houhu.grid.layers`) against the stock djangorestframework-gis serializer (baseline),
both on the same rows in the same run. Also the segments layer.

    make bench ARGS=bench/bench_layers.py
"""

from __future__ import annotations

import json

from common import ensure_demo, report, setup_django, timed

setup_django()

from django.db import connection  # noqa: E402
from rest_framework_gis.serializers import GeoFeatureModelSerializer  # noqa: E402

from houhu.grid import layers  # noqa: E402
from houhu.grid.models import Household, Segment, Station  # noqa: E402


class HouseholdFeatures(GeoFeatureModelSerializer):
    class Meta:
        model = Household
        geo_field = "location"
        fields = (
            "id",
            "customer_number",
            "head_name",
            "village",
            "transformer_area",
            "is_aquaculture",
        )


class SegmentFeatures(GeoFeatureModelSerializer):
    class Meta:
        model = Segment
        geo_field = "geom"
        fields = ("id", "code", "line", "seq", "district")


def main() -> None:
    ensure_demo(1)
    station = Station.objects.order_by("id").first()
    households = Household.objects.filter(transformer_area__district__station=station)
    segments = Segment.objects.filter(district__station=station)
    n_h, n_s = households.count(), segments.count()

    def drf_households() -> str:
        return json.dumps(HouseholdFeatures(households, many=True).data)

    def sql_households() -> str:
        return layers.households_layer(households, with_names=True)

    def drf_segments() -> str:
        return json.dumps(SegmentFeatures(segments, many=True).data)

    def sql_segments() -> str:
        return layers.segments_layer(segments)

    # Same number of features out of both, or the comparison means nothing.
    assert len(json.loads(sql_households())["features"]) == n_h
    assert len(json.loads(drf_households())["features"]) == n_h
    print(
        f"station {station.code}: {n_h} households, {n_s} segments "
        f"(PostgreSQL {connection.pg_version})"
    )
    base = timed(drf_households, repeat=3)
    ours = timed(sql_households, repeat=5)
    report(f"households layer in PostGIS ({n_h})", "drf-gis serializer", base, ours)
    base = timed(drf_segments, repeat=5)
    ours = timed(sql_segments, repeat=5)
    report(f"segments layer in PostGIS ({n_s})", "drf-gis serializer", base, ours)


if __name__ == "__main__":
    main()
