"""People and their role. What a role may do, and who may read or act on what, is decided
in `houhu.accounts.scopes` (one table of capabilities per role), nowhere else: ask
`scopes.can(user, Can.X)` rather than comparing roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    class Role(models.TextChoices):
        VILLAGER = "villager", _("Villager")
        GRID_MANAGER = "grid_manager", _("Grid manager")
        STAFF = "staff", _("Station staff")
        LEADER = "leader", _("County leader")
        ADMIN = "admin", _("Administrator")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VILLAGER)
    # Villagers log in with their phone number (no SMS gateway: managers set passwords).
    # NULL, not "", for "no phone": the unique constraint below must allow many of those.
    phone = models.CharField(_("phone"), max_length=20, null=True, blank=True)  # noqa: DJ001
    display_name = models.CharField(_("name"), max_length=50, blank=True)
    station = models.ForeignKey(
        "grid.Station",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_accounts",
        verbose_name=_("station"),
        help_text=_("The station whose data a grid manager or staff member works on."),
    )
    county = models.ForeignKey(
        "grid.County",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leader_accounts",
        verbose_name=_("county"),
        help_text=_("The county a leader reads."),
    )
    household = models.ForeignKey(
        "grid.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name=_("household"),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(phone__isnull=False),
                name="accounts_user_phone_unique",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["villager", "grid_manager", "staff", "leader", "admin"]),
                name="accounts_user_role_valid",
            ),
            # A villager account exists for a household; nobody else is tied to one.
            models.CheckConstraint(
                condition=(Q(role="villager") & Q(household__isnull=False))
                | (~Q(role="villager") & Q(household__isnull=True)),
                name="accounts_user_villager_has_household",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username
