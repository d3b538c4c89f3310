"""OpenAPI description of the assignment feature, whose geometry is computed per row
(the patch polygon, or the segment's line), which drf-spectacular cannot infer."""

from __future__ import annotations

from django.contrib.gis.db import models
from drf_spectacular.contrib.rest_framework_gis import (
    GeoFeatureModelSerializerExtension,
    build_geo_schema,
)
from drf_spectacular.plumbing import build_object_type


class AssignmentFeatureExtension(GeoFeatureModelSerializerExtension):
    target_class = "pledges.responsibility.serializers.AssignmentSerializer"
    match_subclasses = False
    priority = 1  # above drf-spectacular's generic GeoFeatureModelSerializer extension

    def map_geo_feature_model_serializer(self, serializer, base_schema):
        meta = serializer.Meta
        base_schema["properties"].pop(meta.geo_field)
        base_schema.pop("required", None)
        base_schema.pop("description", None)
        feature = {"type": {"type": "string", "enum": ["Feature"]}}
        if meta.id_field:
            feature["id"] = base_schema["properties"].pop(meta.id_field)
        feature["geometry"] = {
            "oneOf": [
                build_geo_schema(models.PolygonField()),
                build_geo_schema(models.LineStringField()),
            ],
            "description": "The patch polygon, or the segment's line (segment, front door).",
        }
        feature["properties"] = base_schema
        return build_object_type(properties=feature)
