"""Admin: snapshots and runs are read-only (Celery writes them). The refresh schedule
itself is django-celery-beat's "Periodic tasks" admin; the service targets the overdue
figures are measured against are the patrols app's."""

from __future__ import annotations

from django.contrib import admin

from .models import Snapshot, SnapshotRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["level", "scope_name", "period", "period_start", "reports", "score",
                    "enough_data", "computed_at"]  # fmt: skip
    list_filter = ["level", "period", "enough_data"]
    search_fields = ["scope_name"]
    date_hierarchy = "period_start"


@admin.register(SnapshotRun)
class SnapshotRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "period", "first_start", "last_start", "district", "status",
                    "rows", "duration_ms"]  # fmt: skip
    list_filter = ["status", "period"]
