"""The chain, read-only: entries are written by the database's triggers and refused any
change or deletion there, so the admin offers none either."""

from __future__ import annotations

from django.contrib import admin

from .models import Entry


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ["station_id", "seq", "at", "object_kind", "object_id", "action", "actor_id"]
    list_filter = ["object_kind", "action"]
    search_fields = ["=object_id", "=actor_id"]
    ordering = ["station_id", "-seq"]
    readonly_fields = [f.name for f in Entry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
