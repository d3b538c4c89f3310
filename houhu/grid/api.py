"""Thin DRF views of the core geography: read-only (the core is edited in the admin),
every queryset from a scoped selector. Map layers are FeatureCollections built in
PostGIS (`layers.py`); the lists are paginated JSON."""

from __future__ import annotations

import json

from django.db.models import FloatField, QuerySet
from django.db.models.functions import Round
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from houhu.lib import geojson
from houhu.lib.db_router import ReplicaReadsMixin

from . import filters, layer_cache, layers, selectors, serializers, surroundings
from .geo import length_m

GEOJSON = "application/geo+json"


# --- Map layers -------------------------------------------------------------------------


def _feature_collection_schema(geometry: str, properties: dict[str, dict]) -> dict:
    return {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "geometry": {
                            "type": "object",
                            "description": f"GeoJSON {geometry}, WGS-84, 6 decimals.",
                            "properties": {
                                "type": {"type": "string", "enum": [geometry]},
                                "coordinates": {"type": "array", "items": {}},
                            },
                        },
                        "properties": {
                            "type": "object",
                            "properties": properties,
                        },
                    },
                },
            },
        },
    }


INT = {"type": "integer"}
STR = {"type": "string"}
NULLABLE_STR = {"type": "string", "nullable": True}


class LayerView(ReplicaReadsMixin, APIView):
    """GET a FeatureCollection of the rows the user may see, filtered by bbox/district.
    Read from the replica when there is one (houhu.lib.db_router)."""

    # Path of the geometry and of the district from this layer's model, for `filtered`.
    geom_field: str
    district_lookup: str
    # The tile layer whose per-grid versions this layer's rows follow, if it is cached
    # (layer_cache): only where every attribute changes with that layer's bumps.
    versioned_by: str | None = None

    def rows(self, request: Request) -> QuerySet:
        raise NotImplementedError

    def render(self, request: Request, rows: QuerySet) -> bytes:
        raise NotImplementedError

    def get(self, request: Request) -> HttpResponse:
        params = filters.LayerQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        bbox = params.validated_data.get("bbox")
        district_id = params.validated_data.get("district")
        rows = layers.filtered(
            self.rows(request),
            geom=self.geom_field,
            district=self.district_lookup,
            bbox=bbox,
            district_id=district_id,
        )
        if self.versioned_by and bbox is None:
            key = layer_cache.key_for(request.user, self.versioned_by, district_id)
            if key is not None:
                return layer_cache.response(request, key, lambda: self.render(request, rows))
        return geojson.response(request, self.render(request, rows))


def layer_schema(summary: str, geometry: str, properties: dict[str, dict]):
    return extend_schema(
        summary=summary,
        tags=["map layers"],
        parameters=[filters.LayerQuerySerializer],
        responses={
            (200, GEOJSON): OpenApiResponse(
                response=_feature_collection_schema(geometry, properties),
                description="GeoJSON FeatureCollection (RFC 7946).",
            ),
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description='Malformed bbox or district, e.g. {"bbox": ["..."]}.',
            ),
        },
    )


@layer_schema(
    "Service grids",
    "Polygon",
    {
        "id": INT,
        "code": STR,
        "name": STR,
        "station": INT,
        "station_name": STR,
        "manager_name": NULLABLE_STR,
        "manager_phone": STR,
        "household_count": INT,
        "aquaculture_household_count": INT,
        "transformer_area_count": INT,
    },
)
class DistrictLayer(LayerView):
    """Service grids (大台区) you may see, with the grid manager's posted phone and the
    counts of `DistrictCounts` (hourly task; counted live for a grid without a row)."""

    geom_field = "boundary"
    district_lookup = "pk"

    def rows(self, request):
        return selectors.districts_for(request.user)

    def render(self, request, rows):
        return layers.districts_layer(rows)


@layer_schema(
    "Transformers (one point per transformer area)",
    "Point",
    {"id": INT, "code": STR, "name": STR, "district": INT, "household_count": INT},
)
class TransformerAreaLayer(LayerView):
    """One point per transformer area (台区), at its transformer, with its household count."""

    geom_field = "transformer"
    district_lookup = "district"

    def rows(self, request):
        return selectors.transformer_areas_for(request.user)

    def render(self, request, rows):
        return layers.transformer_areas_layer(rows)


@layer_schema("Lines", "LineString", {"id": INT, "code": STR, "name": STR, "voltage_kv": INT})
class LineLayer(LayerView):
    """Whole lines; `district` keeps the lines with a segment in that grid."""

    geom_field = "geom"
    district_lookup = "segments__district"

    def rows(self, request):
        return selectors.lines_for(request.user)

    def render(self, request, rows):
        return layers.lines_layer(rows)


@layer_schema(
    "Line segments",
    "LineString",
    {
        "id": INT,
        "code": STR,
        "line": INT,
        "line_name": STR,
        "seq": INT,
        "voltage_kv": INT,
        "district": INT,
        "length_m": {"type": "number", "description": "Length on the spheroid, metres."},
    },
)
class SegmentLayer(LayerView):
    """Ordered line segments (the "segment" of 我包段), with their length in metres."""

    geom_field = "geom"
    district_lookup = "district"

    def rows(self, request):
        return selectors.segments_for(request.user)

    def render(self, request, rows):
        return layers.segments_layer(rows)


@layer_schema(
    "Households (a villager: their own; a leader: without names)",
    "Point",
    {
        "id": INT,
        "customer_number": STR,
        "head_name": {
            "type": "string",
            "nullable": True,
            "description": "Null for county leaders (privacy).",
        },
        "village": INT,
        "transformer_area": INT,
        "district": INT,
        "is_aquaculture": {"type": "boolean"},
    },
)
class HouseholdLayer(LayerView):
    """Household points (the "front door" of 家家户户包门前), built in PostGIS (13,700 per
    station). A villager gets only their own household; a county leader gets every
    household of the county without the head's name (`head_name` is null): leaders read
    statistics, not people. Phones and addresses are in no layer."""

    geom_field = "location"
    district_lookup = "transformer_area__district"
    versioned_by = "households"  # the tile layer (tiles.py), bumped by the same changes

    def rows(self, request):
        return selectors.households_for(request.user)

    def render(self, request, rows):
        return layers.households_layer(
            rows, with_names=selectors.household_identity_visible(request.user)
        )


@extend_schema(
    summary="Around my home (a villager): grid, area, villages, nearby households, lines",
    tags=["map layers"],
    responses={
        (200, GEOJSON): OpenApiResponse(
            response=OpenApiTypes.OBJECT,
            description="FeatureCollection; properties.layer is district, area, village, "
            "household (no name), line or home; properties.name where it has one.",
        ),
        404: OpenApiResponse(description="Not a villager with a household"),
    },
)
class AroundMe(ReplicaReadsMixin, APIView):
    """The villager's own map without a basemap (houhu.grid.surroundings)."""

    def get(self, request: Request) -> HttpResponse:
        data = surroundings.around_home(request.user)
        if data is None:
            raise Http404
        return HttpResponse(json.dumps(data, ensure_ascii=False), content_type=GEOJSON)


# --- Plain JSON lists -------------------------------------------------------------------


@extend_schema(tags=["grid"])
class DistrictViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.DistrictSerializer
    filterset_class = filters.DistrictFilter

    def get_queryset(self):
        return selectors.districts_with_counts(selectors.districts_visible(self.request.user))


@extend_schema(tags=["grid"])
class TransformerAreaViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.TransformerAreaSerializer
    filterset_class = filters.TransformerAreaFilter

    def get_queryset(self):
        return selectors.transformer_areas_for(self.request.user)


@extend_schema(tags=["grid"])
class VillageViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.VillageSerializer
    filterset_class = filters.VillageFilter

    def get_queryset(self):
        return selectors.villages_for(self.request.user)


@extend_schema(tags=["grid"])
class HouseholdViewSet(viewsets.ReadOnlyModelViewSet):
    """Households you may see (a villager: their own). County leaders get them without
    the head's name, phone and address, and `q` matches customer numbers only for them."""

    serializer_class = serializers.HouseholdSerializer
    filterset_class = filters.HouseholdFilter

    def get_queryset(self):
        return selectors.households_for(self.request.user)

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return serializers.HouseholdSerializer
        if selectors.household_identity_visible(self.request.user):
            return serializers.HouseholdSerializer
        return serializers.HouseholdPublicSerializer


@extend_schema(tags=["grid"])
class LineViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.LineSerializer
    filterset_class = filters.LineFilter

    def get_queryset(self):
        return selectors.lines_for(self.request.user)


@extend_schema(tags=["grid"])
class SegmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.SegmentSerializer
    filterset_class = filters.SegmentFilter

    def get_queryset(self):
        return selectors.segments_for(self.request.user).annotate(
            length_m=Round(length_m("geom"), 1, output_field=FloatField())
        )
