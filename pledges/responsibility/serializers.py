"""Shapes of the responsibility API. No rules here: input serializers only parse and
type the request; the services decide."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField, GeometrySerializerMethodField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from houhu.accounts.personal import PersonalFields
from houhu.accounts.scopes import Whose
from houhu.lib.dates import InLedger
from houhu.lib.limits import max_length

from .models import Assignment, AssignmentEvent
from .services import FRONT_DOOR_SEARCH_LIMIT_M

GEOJSON_GEOMETRY_SCHEMA = {
    "type": "object",
    "description": "GeoJSON geometry, WGS-84 (EPSG:4326).",
    "properties": {"type": {"type": "string"}, "coordinates": {"type": "array", "items": {}}},
}


@extend_schema_field(GEOJSON_GEOMETRY_SCHEMA)
class GeoJSONGeometryField(GeometryField):
    """A GeometryField the schema generator can describe."""


class AssignmentSerializer(PersonalFields, GeoFeatureModelSerializer):
    """A feature: the patch polygon, or the segment (segment and front-door scopes). Who
    holds it is shown as scopes.PERSONAL_DATA says of a responsible person (a villager:
    the name masked, no phone)."""

    name_fields = ("person", "person_name")
    phone_fields = ("person_phone",)
    # Its OpenAPI shape is given by pledges/schema.py (drf-spectacular cannot infer it).
    geometry = GeometrySerializerMethodField()
    person = serializers.CharField(source="person_label", read_only=True, allow_null=True)
    person_name = serializers.CharField(read_only=True, allow_null=True)
    person_phone = serializers.CharField(read_only=True, allow_null=True)
    segment_code = serializers.CharField(
        source="segment.code", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Assignment
        geo_field = "geometry"
        fields = [
            "id",
            "scope",
            "district",
            "village",
            "user",
            "person",
            "person_name",
            "person_phone",
            "segment",
            "segment_code",
            "household",
            "valid_from",
            "valid_until",
            "is_primary",
            "front_door_state",
            "distance_m",
            "note",
            "cancelled_at",
        ]
        read_only_fields = fields

    @extend_schema_field(GEOJSON_GEOMETRY_SCHEMA)
    def get_geometry(self, obj: Assignment):
        return obj.shape

    def whose(self, obj: Assignment, user) -> Whose:
        return Whose.RESPONSIBLE


class AssignmentCreateSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=[("segment", "segment"), ("patch", "patch")])
    segments = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text=_("Segment ids (scope segment)."),
    )
    polygon = GeoJSONGeometryField(required=False, help_text=_("GeoJSON Polygon (scope patch)."))
    user = serializers.IntegerField(required=False, allow_null=True)
    person_name = serializers.CharField(
        max_length=max_length(Assignment, "person_name"), required=False, allow_blank=True
    )
    person_phone = serializers.CharField(
        max_length=max_length(Assignment, "person_phone"), required=False, allow_blank=True
    )
    district = serializers.IntegerField(required=False, allow_null=True)
    village = serializers.IntegerField(required=False, allow_null=True)
    valid_from = serializers.DateField(required=False, validators=[InLedger(planned=True)])
    valid_until = serializers.DateField(
        required=False, allow_null=True, validators=[InLedger(planned=True)]
    )
    is_primary = serializers.BooleanField(required=False, default=True)
    replace = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=max_length(Assignment, "note")
    )


def _event_note() -> serializers.CharField:
    return serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=max_length(AssignmentEvent, "note"),
    )


class EndSerializer(serializers.Serializer):
    until = serializers.DateField(required=False, validators=[InLedger(planned=True)])
    note = _event_note()


class AdjustSerializer(serializers.Serializer):
    segment = serializers.IntegerField()
    note = _event_note()


class DeriveSerializer(serializers.Serializer):
    village = serializers.IntegerField()
    max_distance_m = serializers.FloatField(
        required=False, min_value=1, max_value=FRONT_DOOR_SEARCH_LIMIT_M
    )


class TaskStatusSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    state = serializers.CharField()
    done = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField(allow_null=True)
    result = serializers.DictField(allow_null=True)


class CoverageQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=[(x, x) for x in ("village", "transformer_area", "district", "station")],
        default="district",
    )


class CoverageRowSerializer(serializers.Serializer):
    level = serializers.CharField()
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    households = serializers.IntegerField()
    signed = serializers.IntegerField()
    pledge_rate = serializers.FloatField(allow_null=True)
    line_length_m = serializers.FloatField()
    covered_length_m = serializers.FloatField()
    responsibility_rate = serializers.FloatField(allow_null=True)
    front_doors_confirmed = serializers.IntegerField()
    front_door_rate = serializers.FloatField(allow_null=True)


class UnassignedSegmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    line = serializers.CharField(source="line.name")
    district = serializers.IntegerField(source="district_id")
    length_m = serializers.FloatField()
    in_patch = serializers.BooleanField()
