"""Admin: for inspection and for drafting compacts. A published or superseded version (and
its clauses) is read-only here, as in the services; state changes (publish, new version)
go through admin actions that call `pledges.compact.services`. Pledges, assignments and events are
read-only: their rules live in the services, which the pages and API use."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from houhu.lib.errors import DomainError
from houhu.lib.protected_files import file_link

from .compact import services
from .models import (
    Assignment,
    AssignmentEvent,
    Clause,
    Compact,
    CompactVersion,
    CompactVersionEvent,
    HouseholdVisit,
    Pledge,
    PledgeEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class VersionInline(ReadOnlyInline):
    model = CompactVersion
    fields = ["number", "status", "effective_from", "published_at"]
    show_change_link = True


@admin.register(Compact)
class CompactAdmin(admin.ModelAdmin):
    list_display = ["title", "station", "scope", "district", "village"]
    list_filter = ["scope", "station"]
    search_fields = ["title"]
    inlines = [VersionInline]
    readonly_fields = ["created_at", "created_by"]
    actions = ["new_version"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Start a new draft version"))
    def new_version(self, request, queryset):
        for compact in queryset:
            try:
                services.compact_new_version(compact=compact, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{compact}: {exc.message}", messages.ERROR)


class ClauseInline(admin.TabularInline):
    model = Clause
    extra = 0
    fields = ["number", "kind", "text"]

    # A frozen version's clauses can be read, never changed: the admin must not be a
    # back door around compact_publish's rule.
    def _draft(self, obj) -> bool:
        return obj is None or obj.status == CompactVersion.Status.DRAFT

    def has_add_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_delete_permission(request, obj)


class VersionEventInline(ReadOnlyInline):
    model = CompactVersionEvent
    fields = ["at", "by", "from_status", "to_status", "note"]
    readonly_fields = fields


@admin.register(CompactVersion)
class CompactVersionAdmin(admin.ModelAdmin):
    list_display = ["compact", "number", "status", "effective_from", "published_at"]
    list_filter = ["status", "compact__station"]
    inlines = [ClauseInline, VersionEventInline]
    readonly_fields = [
        "compact",
        "number",
        "status",
        "published_at",
        "published_by",
        "superseded_at",
        "created_at",
        "created_by",
    ]
    actions = ["publish"]

    def has_add_permission(self, request) -> bool:
        return False  # versions are made by compact_create / compact_new_version

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status != CompactVersion.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status != CompactVersion.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request, queryset):
        for version in queryset:
            try:
                services.compact_publish(version=version, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{version}: {exc.message}", messages.ERROR)


class PledgeEventInline(ReadOnlyInline):
    model = PledgeEvent
    fields = ["at", "by", "from_status", "to_status", "note"]
    readonly_fields = fields


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = ["household", "version", "status", "method", "signed_at", "witness_name"]
    list_filter = ["status", "method", "version__compact"]
    search_fields = ["household__customer_number", "household__head_name", "signatory_name"]
    list_select_related = ["household", "version__compact"]
    inlines = [PledgeEventInline]
    # The scan through its permission-checked view, never the file's own (public) URL.
    exclude = ["scan"]
    readonly_fields = ["scan_link"]

    @admin.display(description=_("photo or scan of the signed sheet"))
    def scan_link(self, obj: Pledge) -> str:
        return file_link("file-pledge-scan", obj.pk) if obj.scan else "—"


class AssignmentEventInline(ReadOnlyInline):
    model = AssignmentEvent
    fields = ["at", "by", "action", "from_state", "to_state", "note"]
    readonly_fields = fields


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = [
        "scope",
        "segment",
        "household",
        "person_label",
        "valid_from",
        "valid_until",
        "is_primary",
        "front_door_state",
    ]
    list_filter = ["scope", "front_door_state", "is_primary", "district"]
    search_fields = ["person_name", "person_phone", "segment__code", "household__customer_number"]
    list_select_related = ["segment", "household", "user"]
    inlines = [AssignmentEventInline]


@admin.register(HouseholdVisit)
class HouseholdVisitAdmin(ReadOnlyAdmin):
    list_display = ["household", "visited_on", "visited_by", "outcome"]
    list_filter = ["outcome", "visited_on"]
    search_fields = ["household__customer_number", "household__head_name"]
    list_select_related = ["household", "visited_by"]
