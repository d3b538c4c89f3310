"""Admin of patrol reports: read-mostly. Status changes go through the workflow (API or the
staff workspace), never through an edit form, so the history stays complete; events are
read-only here and immutable in the database."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from houhu.lib.protected_files import file_link

from .models import (
    GridRobot,
    Notification,
    Report,
    ReportEvent,
    ReportPhoto,
    ServiceTarget,
    WecomPost,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReportEventInline(ReadOnlyInline):
    model = ReportEvent
    fields = ["at", "actor", "action", "from_status", "to_status", "note", "data"]
    readonly_fields = fields


class ReportPhotoInline(ReadOnlyInline):
    model = ReportPhoto
    # The photo through its permission-checked view, never the file's own (public) URL.
    fields = ["stage", "photo", "width", "height", "uploaded_by", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def photo(self, obj: ReportPhoto) -> str:
        return file_link("file-report-photo", obj.pk)


@admin.register(Report)
class ReportAdmin(LeafletGeoAdmin):
    list_display = [
        "id", "kind", "status", "district", "segment", "distance_m", "in_zone", "reporter",
        "submitted_at", "received_at",
    ]  # fmt: skip
    list_filter = ["kind", "status", "in_zone", "district", "location_source"]
    search_fields = ["=id", "=client_id", "note", "reporter__username", "reporter__phone"]
    date_hierarchy = "submitted_at"
    list_select_related = ["district", "segment", "reporter"]
    inlines = [ReportPhotoInline, ReportEventInline]
    # The status and the derived fields are the services' to set.
    readonly_fields = [
        "client_id", "content_hash", "reporter", "kind", "status", "segment", "distance_m",
        "in_zone", "district", "transformer_area", "village", "submitted_at", "received_at",
        "confirmed_at", "cleared_at", "verified_at", "status_changed_at", "merged_into",
        "trees_removed", "cleared_by",
    ]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReportEvent)
class ReportEventAdmin(admin.ModelAdmin):
    list_display = ["report", "at", "actor", "action", "from_status", "to_status"]
    list_filter = ["action", "to_status"]
    list_select_related = ["report", "actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "report", "verb", "created", "read_at", "emailed_at"]
    list_filter = ["verb"]
    list_select_related = ["recipient", "report"]
    raw_id_fields = ["recipient", "report", "event"]


@admin.register(ServiceTarget)
class ServiceTargetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "confirm_within_hours", "updated_at"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(GridRobot)
class GridRobotAdmin(admin.ModelAdmin):
    """Each grid's WeCom group robot: staff paste the address from the group's settings."""

    list_display = ["district", "enabled"]
    list_filter = ["enabled"]
    autocomplete_fields = ["district"]


@admin.register(WecomPost)
class WecomPostAdmin(admin.ModelAdmin):
    """What was posted to the groups, and what still waits (read-only: the outbox sends)."""

    list_display = ["district", "event", "created_at", "posted_at"]
    list_filter = ["district"]
    readonly_fields = ["event", "district", "text", "created_at", "posted_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
