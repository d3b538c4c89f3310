"""Read-only views of the outbox for operators: what is waiting, what keeps failing, and
when each background process was last seen. Nothing here is edited by hand."""

from __future__ import annotations

from django.contrib import admin

from .models import Heartbeat, Job


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    """Deleting stays allowed (Django's model permission): a job that can never succeed
    (its handler was removed from the code) may be dropped by hand."""

    list_display = ["id", "name", "key", "run_after", "claimed_at", "attempts", "created_at"]
    list_filter = ["name"]
    search_fields = ["key", "last_error"]
    ordering = ["run_after", "id"]


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["name", "at"]
    ordering = ["name"]
