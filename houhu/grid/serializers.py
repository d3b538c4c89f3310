"""Shapes of the plain JSON API (no rules here: who sees what, privacy included, is decided
by houhu.accounts.scopes and applied by the selectors).

Geometry fields are GeoJSON geometries (WGS-84, 6 decimals). The map layers, which are
FeatureCollections built in PostGIS, are in `layers.py`.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from .models import District, Household, Line, Segment, TransformerArea, Village


def geometry(**kwargs) -> GeometryField:
    return GeometryField(precision=6, remove_duplicates=False, read_only=True, **kwargs)


class DistrictSerializer(serializers.ModelSerializer):
    """Counts come from `DistrictCounts` (hourly task) or, without a row, are live."""

    station_name = serializers.CharField(source="station.name", read_only=True)
    manager_name = serializers.SerializerMethodField()
    boundary = geometry()
    household_count = serializers.IntegerField(read_only=True)
    aquaculture_household_count = serializers.IntegerField(read_only=True)
    transformer_area_count = serializers.IntegerField(read_only=True)
    segment_count = serializers.IntegerField(read_only=True)
    line_length_m = serializers.FloatField(read_only=True)
    counts_computed_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null: counted live for this response."
    )

    class Meta:
        model = District
        fields = [
            "id", "code", "name", "station", "station_name", "manager", "manager_name",
            "manager_phone", "household_count", "aquaculture_household_count",
            "transformer_area_count", "segment_count", "line_length_m", "counts_computed_at",
            "boundary",
        ]  # fmt: skip
        read_only_fields = fields

    def get_manager_name(self, obj: District) -> str | None:
        return str(obj.manager) if obj.manager_id else None


class TransformerAreaSerializer(serializers.ModelSerializer):
    transformer = geometry()
    area = geometry(allow_null=True)

    class Meta:
        model = TransformerArea
        fields = ["id", "code", "name", "district", "capacity_kva", "transformer", "area"]
        read_only_fields = fields


class VillageSerializer(serializers.ModelSerializer):
    centre = geometry(allow_null=True)

    class Meta:
        model = Village
        fields = ["id", "code", "name", "office", "station", "centre"]
        read_only_fields = fields


class HouseholdSerializer(serializers.ModelSerializer):
    district = serializers.IntegerField(source="transformer_area.district_id", read_only=True)
    village_name = serializers.CharField(source="village.__str__", read_only=True)
    location = geometry()

    class Meta:
        model = Household
        fields = [
            "id", "customer_number", "head_name", "phone", "address", "village", "village_name",
            "transformer_area", "district", "is_aquaculture", "is_active", "location",
        ]  # fmt: skip
        read_only_fields = fields


class HouseholdPublicSerializer(HouseholdSerializer):
    """For county leaders: the same shape without the head's name, phone or address."""

    class Meta(HouseholdSerializer.Meta):
        fields = [
            f for f in HouseholdSerializer.Meta.fields if f not in ("head_name", "phone", "address")
        ]
        read_only_fields = fields


class LineSerializer(serializers.ModelSerializer):
    voltage_label = serializers.CharField(source="get_voltage_kv_display", read_only=True)
    geom = geometry()

    class Meta:
        model = Line
        fields = ["id", "code", "name", "station", "voltage_kv", "voltage_label", "geom"]
        read_only_fields = fields


class SegmentSerializer(serializers.ModelSerializer):
    line_name = serializers.CharField(source="line.name", read_only=True)
    voltage_kv = serializers.IntegerField(source="line.voltage_kv", read_only=True)
    length_m = serializers.FloatField(read_only=True)
    geom = geometry()

    class Meta:
        model = Segment
        fields = [
            "id", "code", "line", "line_name", "seq", "voltage_kv", "district",
            "transformer_area", "length_m", "geom",
        ]  # fmt: skip
        read_only_fields = fields
