"""Query parameters of the grid API: the map layers' `bbox`/`district`, and django-filter
sets of the plain JSON lists. Malformed values are a 400 with a translated message."""

from __future__ import annotations

import django_filters
from django.contrib.gis.geos import Polygon
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from houhu.lib.bbox import parse_bbox
from houhu.lib.errors import DomainError

from .models import District, Household, Line, Segment, TransformerArea, Village
from .selectors import household_identity_visible


class LayerQuerySerializer(serializers.Serializer):
    """`?bbox=minLon,minLat,maxLon,maxLat` (WGS-84) and `?district=<id>` of every layer."""

    bbox = serializers.CharField(
        required=False,
        help_text=_(
            "minLon,minLat,maxLon,maxLat in WGS-84 degrees: only features that intersect "
            "this box (crossing its edge counts)."
        ),
    )
    district = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("Only this service grid (among those you may see)."),
        error_messages={"invalid": _("district must be the integer id of a service grid.")},
    )

    def validate_bbox(self, value: str) -> Polygon:
        try:
            return parse_bbox(value)
        except DomainError as exc:
            raise serializers.ValidationError(exc.message) from None


class DistrictFilter(django_filters.FilterSet):
    station = django_filters.NumberFilter(field_name="station")

    class Meta:
        model = District
        fields = ["station"]


class TransformerAreaFilter(django_filters.FilterSet):
    district = django_filters.NumberFilter(field_name="district")
    q = django_filters.CharFilter(method="search", label=_("code or name contains"))

    class Meta:
        model = TransformerArea
        fields = ["district"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class VillageFilter(django_filters.FilterSet):
    office = django_filters.CharFilter(field_name="office")
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Village
        fields = ["office"]


class HouseholdFilter(django_filters.FilterSet):
    district = django_filters.NumberFilter(field_name="transformer_area__district")
    village = django_filters.NumberFilter(field_name="village")
    transformer_area = django_filters.NumberFilter(field_name="transformer_area")
    is_aquaculture = django_filters.BooleanFilter(field_name="is_aquaculture")
    q = django_filters.CharFilter(
        method="search", label=_("customer number or head of household contains")
    )

    class Meta:
        model = Household
        fields = ["district", "village", "transformer_area", "is_aquaculture"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        match = Q(customer_number__icontains=value)
        # Searching by name would tell a leader who lives where: they search by number only.
        if household_identity_visible(self.request.user):
            match |= Q(head_name__icontains=value)
        return queryset.filter(match)


class LineFilter(django_filters.FilterSet):
    district = django_filters.NumberFilter(method="in_district", label=_("service grid"))
    voltage_kv = django_filters.NumberFilter(field_name="voltage_kv")

    class Meta:
        model = Line
        fields = ["voltage_kv"]

    def in_district(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset.filter(pk__in=Segment.objects.filter(district=value).values("line"))


class SegmentFilter(django_filters.FilterSet):
    district = django_filters.NumberFilter(field_name="district")
    line = django_filters.NumberFilter(field_name="line")
    transformer_area = django_filters.NumberFilter(field_name="transformer_area")

    class Meta:
        model = Segment
        fields = ["district", "line", "transformer_area"]
