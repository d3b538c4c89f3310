"""Admin of the core geography: the station's line data and households are edited here
(the API is read-only). Every geometry gets django-leaflet's map widget, which loads only
local static files, so it works with `HOUHU_BASEMAP=none` and no network."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from houhu.lib.signals import ledger_changed

from .models import (
    County,
    District,
    DistrictCounts,
    Household,
    Line,
    Segment,
    Station,
    TransformerArea,
    Village,
)


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "county", "households_served"]
    list_filter = ["county"]
    list_select_related = ["county"]
    search_fields = ["code", "name"]


@admin.register(District)
class DistrictAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "station", "manager", "manager_phone"]
    list_filter = ["station"]
    list_select_related = ["station", "manager"]
    search_fields = ["code", "name", "manager__username", "manager__display_name"]
    autocomplete_fields = ["manager"]


@admin.register(Village)
class VillageAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "office", "station"]
    list_filter = ["station", "office"]
    list_select_related = ["station"]
    search_fields = ["code", "name", "office"]


class AnnouncesChanges:
    """Edits here are changes of the ledger like a service's: announce the grids they touch
    (before and after the edit) through `ledger_changed`, inside the admin's transaction,
    so their map tiles go stale and their figures are recomputed."""

    district_path: str

    def _districts(self, queryset) -> set[int]:
        return set(queryset.values_list(self.district_path, flat=True))

    def _announce(self, district_ids) -> None:
        ledger_changed.send(sender=self.model, district_ids=sorted(d for d in district_ids if d))

    def save_model(self, request, obj, form, change):
        before = self._districts(self.model.objects.filter(pk=obj.pk)) if change else set()
        super().save_model(request, obj, form, change)
        self._announce(before | self._districts(self.model.objects.filter(pk=obj.pk)))

    def delete_model(self, request, obj):
        before = self._districts(self.model.objects.filter(pk=obj.pk))
        super().delete_model(request, obj)
        self._announce(before)

    def delete_queryset(self, request, queryset):
        before = self._districts(queryset)
        super().delete_queryset(request, queryset)
        self._announce(before)


@admin.register(TransformerArea)
class TransformerAreaAdmin(AnnouncesChanges, LeafletGeoAdmin):
    district_path = "district"
    list_display = ["code", "name", "district", "capacity_kva"]
    list_filter = ["district__station", "district"]
    list_select_related = ["district"]
    search_fields = ["code", "name"]


@admin.register(Household)
class HouseholdAdmin(AnnouncesChanges, LeafletGeoAdmin):
    district_path = "transformer_area__district"
    list_display = [
        "customer_number",
        "head_name",
        "village",
        "transformer_area",
        "is_aquaculture",
        "is_active",
    ]
    list_filter = ["is_aquaculture", "is_active", "transformer_area__district"]
    list_select_related = ["village", "transformer_area"]
    search_fields = ["customer_number", "head_name", "phone"]
    # 13,700 households per station, 157 transformer areas: no full <select> lists.
    autocomplete_fields = ["village", "transformer_area"]
    list_per_page = 50


class SegmentInline(admin.TabularInline):
    model = Segment
    fields = ["seq", "code", "district", "transformer_area"]
    autocomplete_fields = ["district", "transformer_area"]
    extra = 0
    show_change_link = True
    verbose_name_plural = _("segments (edit the route on the segment's own page)")


@admin.register(Line)
class LineAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "voltage_kv", "station"]
    list_filter = ["voltage_kv", "station"]
    list_select_related = ["station"]
    search_fields = ["code", "name"]
    inlines = [SegmentInline]


@admin.register(Segment)
class SegmentAdmin(AnnouncesChanges, LeafletGeoAdmin):
    district_path = "district"
    list_display = ["code", "line", "seq", "district", "transformer_area"]
    list_filter = ["district", "line__voltage_kv"]
    list_select_related = ["line", "district", "transformer_area"]
    search_fields = ["code", "line__code", "line__name"]
    autocomplete_fields = ["line", "district", "transformer_area"]
    ordering = ["line", "seq"]


@admin.register(DistrictCounts)
class DistrictCountsAdmin(admin.ModelAdmin):
    """Written only by the `grid.refresh_district_counts` task."""

    list_display = [
        "district",
        "household_count",
        "aquaculture_household_count",
        "transformer_area_count",
        "segment_count",
        "line_length_m",
        "computed_at",
    ]
    list_select_related = ["district"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
