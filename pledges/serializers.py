"""Shapes of the pledges API. No rules here: input serializers only parse and type the
request; `pledges.services` decides."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField, GeometrySerializerMethodField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from .models import Assignment, Clause, Compact, CompactVersion, HouseholdVisit, Pledge

GEOJSON_GEOMETRY_SCHEMA = {
    "type": "object",
    "description": "GeoJSON geometry, WGS-84 (EPSG:4326).",
    "properties": {"type": {"type": "string"}, "coordinates": {"type": "array", "items": {}}},
}


@extend_schema_field(GEOJSON_GEOMETRY_SCHEMA)
class GeoJSONGeometryField(GeometryField):
    """A GeometryField the schema generator can describe."""


# --- compact ----------------------------------------------------------------------------


class ClauseSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Clause
        fields = ["id", "number", "kind", "kind_display", "text"]
        read_only_fields = ["id"]


class VersionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CompactVersion
        fields = ["id", "number", "status", "effective_from", "published_at"]


class CompactVersionSerializer(serializers.ModelSerializer):
    compact_title = serializers.CharField(source="compact.title", read_only=True)
    motto = serializers.CharField(source="compact.motto", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    clauses = ClauseSerializer(many=True, read_only=True)

    class Meta:
        model = CompactVersion
        fields = [
            "id",
            "compact",
            "compact_title",
            "motto",
            "number",
            "status",
            "status_display",
            "effective_from",
            "valid_until",
            "renew_after_days",
            "change_note",
            "published_at",
            "superseded_at",
            "clauses",
        ]


class CompactSerializer(serializers.ModelSerializer):
    versions = VersionBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Compact
        fields = ["id", "station", "title", "scope", "district", "village", "motto", "versions"]


class ClauseInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Clause.Kind.choices)
    text = serializers.CharField(max_length=2000)


class CompactCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    scope = serializers.ChoiceField(choices=Compact.Scope.choices, default="station")
    station = serializers.IntegerField(required=False, help_text=_("Default: your station."))
    district = serializers.IntegerField(required=False, allow_null=True)
    village = serializers.IntegerField(required=False, allow_null=True)
    motto = serializers.CharField(max_length=200, required=False)
    effective_from = serializers.DateField(required=False, allow_null=True)
    renew_after_days = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    clauses = ClauseInputSerializer(many=True, required=False)


class PublishSerializer(serializers.Serializer):
    effective_from = serializers.DateField(required=False, allow_null=True)


class NewVersionSerializer(serializers.Serializer):
    change_note = serializers.CharField(required=False, allow_blank=True, default="")


class ClauseAddSerializer(ClauseInputSerializer):
    number = serializers.IntegerField(required=False, allow_null=True, min_value=1)


# --- pledges ----------------------------------------------------------------------------


class PledgeSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="household.customer_number", read_only=True)
    head_name = serializers.CharField(source="household.head_name", read_only=True)
    village = serializers.IntegerField(source="household.village_id", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    compact = serializers.IntegerField(source="version.compact_id", read_only=True)

    class Meta:
        model = Pledge
        fields = [
            "id",
            "household",
            "customer_number",
            "head_name",
            "village",
            "compact",
            "version",
            "version_number",
            "status",
            "method",
            "signed_at",
            "signatory_name",
            "witness_name",
            "scan",
            "signed_by",
            "recorded_by",
            "previous",
            "ended_at",
        ]
        read_only_fields = fields


class PledgeCreateSerializer(serializers.Serializer):
    """Online (a villager, `confirm`: true) or paper (staff: signatory, witness, date, scan)."""

    household = serializers.IntegerField()
    version = serializers.IntegerField()
    method = serializers.ChoiceField(choices=Pledge.Method.choices, default="online")
    confirm = serializers.BooleanField(required=False, default=False)
    signatory = serializers.CharField(max_length=50, required=False, allow_blank=True)
    witness = serializers.CharField(max_length=50, required=False, allow_blank=True)
    signed_on = serializers.DateField(required=False)
    # A plain file: the service decodes and re-encodes it, refusing what is not an image.
    scan = serializers.FileField(required=False, allow_null=True)


class HouseholdVisitSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="household.customer_number", read_only=True)
    visited_by_name = serializers.CharField(source="visited_by.__str__", read_only=True)

    class Meta:
        model = HouseholdVisit
        fields = [
            "id",
            "household",
            "customer_number",
            "visited_on",
            "visited_by",
            "visited_by_name",
            "outcome",
            "note",
            "recorded_at",
        ]
        read_only_fields = fields


class VisitCreateSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=HouseholdVisit.Outcome.choices)
    visited_on = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RenewSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    confirm = serializers.BooleanField(required=False, default=False)
    signatory = serializers.CharField(max_length=50, required=False, allow_blank=True)
    witness = serializers.CharField(max_length=50, required=False, allow_blank=True)
    signed_on = serializers.DateField(required=False)
    scan = serializers.FileField(required=False, allow_null=True)


# --- assignments ------------------------------------------------------------------------


class AssignmentSerializer(GeoFeatureModelSerializer):
    """A feature: the patch polygon, or the segment (segment and front-door scopes)."""

    # Its OpenAPI shape is given by pledges/schema.py (drf-spectacular cannot infer it).
    geometry = GeometrySerializerMethodField()
    person = serializers.CharField(source="person_label", read_only=True)
    segment_code = serializers.CharField(source="segment.code", read_only=True, default=None)

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


class AssignmentCreateSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=[("segment", "segment"), ("patch", "patch")])
    segments = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text=_("Segment ids (scope segment)."),
    )
    polygon = GeoJSONGeometryField(required=False, help_text=_("GeoJSON Polygon (scope patch)."))
    user = serializers.IntegerField(required=False, allow_null=True)
    person_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    person_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    district = serializers.IntegerField(required=False, allow_null=True)
    village = serializers.IntegerField(required=False, allow_null=True)
    valid_from = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)
    is_primary = serializers.BooleanField(required=False, default=True)
    replace = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class EndSerializer(serializers.Serializer):
    until = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AdjustSerializer(serializers.Serializer):
    segment = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DeriveSerializer(serializers.Serializer):
    village = serializers.IntegerField()
    max_distance_m = serializers.FloatField(required=False, min_value=1, max_value=1000)


class TaskStatusSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    state = serializers.CharField()
    done = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField(allow_null=True)
    result = serializers.DictField(allow_null=True)


# --- figures and lists ------------------------------------------------------------------


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


class ListQuerySerializer(serializers.Serializer):
    village = serializers.IntegerField(required=False, min_value=1)
    district = serializers.IntegerField(required=False, min_value=1)


class UnsignedHouseholdSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_number = serializers.CharField()
    head_name = serializers.CharField()
    phone = serializers.CharField()
    village = serializers.CharField(source="village.name")
    transformer_area = serializers.CharField(source="transformer_area.name")


class UnassignedSegmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    line = serializers.CharField(source="line.name")
    district = serializers.IntegerField(source="district_id")
    length_m = serializers.FloatField()
    in_patch = serializers.BooleanField()


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=False)


class RejectedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    customer_number = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class ImportReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    total_rows = serializers.IntegerField()
    imported = serializers.IntegerField()
    renewed = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    file_errors = serializers.ListField(child=serializers.CharField())
    rejected = RejectedRowSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
