"""Accounts admin: Django's user admin plus the ledger's role and scope fields."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from houhu.ledger.actor import acting

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Role and scope in the ledger"),
            {"fields": ("role", "display_name", "phone", "station", "county", "household")},
        ),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (
            _("Role and scope in the ledger"),
            {
                "classes": ("wide",),
                "fields": ("role", "display_name", "phone", "station", "county", "household"),
            },
        ),
    )
    list_display = ["username", "display_name", "role", "phone", "station", "is_active"]
    list_filter = ["role", "station", "is_active", "is_staff"]
    list_select_related = ["station"]
    search_fields = ["username", "display_name", "phone", "first_name", "last_name"]
    # A villager account belongs to one of 13,700 households: search, never a <select>.
    autocomplete_fields = ["household", "station", "county"]
    ordering = ["username"]

    def save_model(self, request, obj, form, change):
        # The ledger's entry for a role change names who made it (houhu.ledger.actor).
        with transaction.atomic():
            acting(request.user.pk)
            super().save_model(request, obj, form, change)
