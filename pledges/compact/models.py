"""The village compact (村规民约) and the pledges that sign it.

- `Compact` → `CompactVersion` → `Clause`: a published version is frozen (services refuse
  edits, the admin shows it read-only); a change is a new draft version that supersedes the
  old one when published, and the old one stays readable.
- `Pledge`: one household's signature on one version (online or on paper), with history
  (renewed, withdrawn) kept as rows; `PledgeEvent` records each state change, immutably.
- `HouseholdVisit`: a grid manager's visit to a household about the compact.

All writes go through `pledges.compact.services` (versions), `.signing` (pledges) and
`.visits`; reads scoped to a user through `pledges.compact.selectors`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from houhu.lib.models import ImmutableModel


class Compact(models.Model):
    """A village compact (村规民约) issued by a station, for the station, a grid or a village."""

    class Scope(models.TextChoices):
        STATION = "station", _("Whole station")
        DISTRICT = "district", _("Service grid")
        VILLAGE = "village", _("Village")

    # Always set: the compact's owner, which scopes who may manage it.
    station = models.ForeignKey(
        "grid.Station",
        on_delete=models.PROTECT,
        related_name="compacts",
        verbose_name=_("station"),
    )
    title = models.CharField(_("title"), max_length=200)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    district = models.ForeignKey(
        "grid.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="compacts",
        verbose_name=_("service grid"),
    )
    village = models.ForeignKey(
        "grid.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="compacts",
        verbose_name=_("village"),
    )
    motto = models.CharField(
        _("motto"), max_length=200, blank=True, default="你包片、我包段、家家户户包门前"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("village compact")
        verbose_name_plural = _("village compacts")
        ordering = ["station", "scope", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["station", "district", "village"]),
                name="pledges_compact_scope_valid",
            ),
            # Exactly the FK that matches the scope is set (the station always is).
            models.CheckConstraint(
                condition=(Q(scope="station") & Q(district__isnull=True) & Q(village__isnull=True))
                | (Q(scope="district") & Q(district__isnull=False) & Q(village__isnull=True))
                | (Q(scope="village") & Q(district__isnull=True) & Q(village__isnull=False)),
                name="pledges_compact_scope_fk_matches",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CompactVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published (in force)")
        SUPERSEDED = "superseded", _("Superseded")

    compact = models.ForeignKey(
        Compact, on_delete=models.PROTECT, related_name="versions", verbose_name=_("compact")
    )
    number = models.PositiveIntegerField(_("version number"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    valid_until = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a compact in force until replaced."),
    )
    renew_after_days = models.PositiveIntegerField(
        _("renew pledges after (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: the station's setting PLEDGES_RENEWAL_DAYS (a year by default)."),
    )
    change_note = models.TextField(_("what changed"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("compact version")
        verbose_name_plural = _("compact versions")
        ordering = ["compact", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(
                fields=["compact", "number"], name="pledges_version_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "superseded"]),
                name="pledges_version_status_valid",
            ),
            # One version in force per compact: "the compact" is never ambiguous.
            models.UniqueConstraint(
                fields=["compact"],
                condition=Q(status="published"),
                name="pledges_version_one_published",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (Q(published_at__isnull=False) & Q(effective_from__isnull=False)),
                name="pledges_version_published_dated",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(valid_until__gte=models.F("effective_from")),
                name="pledges_version_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compact} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class Clause(models.Model):
    class Kind(models.TextChoices):
        PROTECTION = "protection", _("Protect lines and facilities")
        NO_BUILD = "no_build", _("No building in the protection zone")
        NO_PLANT = "no_plant", _("No planting tall trees in the protection zone")
        NO_DIG = "no_dig", _("No digging or piling near lines, towers and stay wires")
        TREE_CLEARING = "tree_clearing", _("Clear tree obstacles")
        RCD = "rcd", _("Residual-current devices installed")
        TEMPORARY_POWER = "temporary_power", _("Apply formally for temporary power")
        UNSAFE_BEHAVIOUR = "unsafe_behaviour", _("The nine unsafe behaviours")
        OTHER = "other", _("Other")

    version = models.ForeignKey(
        CompactVersion,
        on_delete=models.CASCADE,
        related_name="clauses",
        verbose_name=_("compact version"),
    )
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    text = models.TextField(_("text"), max_length=2000)

    class Meta:
        verbose_name = _("clause")
        verbose_name_plural = _("clauses")
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "number"], name="pledges_clause_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "protection",
                        "no_build",
                        "no_plant",
                        "no_dig",
                        "tree_clearing",
                        "rcd",
                        "temporary_power",
                        "unsafe_behaviour",
                        "other",
                    ]
                ),
                name="pledges_clause_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:40]}"


class CompactVersionEvent(ImmutableModel):
    """Created, published, superseded: who did it and when."""

    version = models.ForeignKey(
        CompactVersion,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("compact version"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12)
    note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("compact version event")
        verbose_name_plural = _("compact version events")
        ordering = ["version", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.version}: {self.from_status or '-'} → {self.to_status}"


def scan_upload_to(instance: Pledge, filename: str) -> str:
    # Re-encoded to JPEG by the service whatever the upload was called.
    return f"pledges/scans/{instance.household_id}/{filename}"


class Pledge(models.Model):
    """A household's signature on one compact version."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RENEWED = "renewed", _("Renewed (replaced by a newer pledge)")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Method(models.TextChoices):
        ONLINE = "online", _("Signed online")
        PAPER = "paper", _("Signed on paper")

    household = models.ForeignKey(
        "grid.Household",
        on_delete=models.PROTECT,
        related_name="pledges",
        verbose_name=_("household"),
    )
    version = models.ForeignKey(
        CompactVersion,
        on_delete=models.PROTECT,
        related_name="pledges",
        verbose_name=_("compact version"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    signed_at = models.DateTimeField(_("signed at"))
    signatory_name = models.CharField(_("signatory"), max_length=50)
    witness_name = models.CharField(_("witness"), max_length=50, blank=True)
    scan = models.ImageField(
        _("photo or scan of the signed sheet"), upload_to=scan_upload_to, blank=True
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges_signed",
        verbose_name=_("signed online by"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges_recorded",
        verbose_name=_("recorded by"),
    )
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal",
        verbose_name=_("renews pledge"),
    )
    ended_at = models.DateTimeField(_("renewed or withdrawn at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-signed_at", "-pk"]
        constraints = [
            # Signing twice is refused by the database too, not only by the service.
            models.UniqueConstraint(
                fields=["household", "version"],
                condition=Q(status="active"),
                name="pledges_pledge_one_active_per_version",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "renewed", "withdrawn"]),
                name="pledges_pledge_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(method__in=["online", "paper"]), name="pledges_pledge_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(method="paper") | Q(signed_by__isnull=False),
                name="pledges_pledge_online_has_signer",
            ),
            models.CheckConstraint(
                condition=Q(method="online") | Q(recorded_by__isnull=False),
                name="pledges_pledge_paper_has_recorder",
            ),
            models.CheckConstraint(
                condition=~Q(signatory_name=""), name="pledges_pledge_signatory_named"
            ),
            models.CheckConstraint(
                condition=Q(status="active", ended_at__isnull=True)
                | (~Q(status="active") & Q(ended_at__isnull=False)),
                name="pledges_pledge_ended_when_not_active",
            ),
        ]
        indexes = [
            # Coverage counts "active pledges per household" for a whole station at once.
            models.Index(
                fields=["household"],
                condition=Q(status="active"),
                name="pledges_pledge_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} — {self.version}"


class PledgeEvent(ImmutableModel):
    pledge = models.ForeignKey(
        Pledge, on_delete=models.PROTECT, related_name="events", verbose_name=_("pledge")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10)
    note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("pledge event")
        verbose_name_plural = _("pledge events")
        ordering = ["pledge", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.pledge_id}: {self.from_status or '-'} → {self.to_status}"


class HouseholdVisit(ImmutableModel):
    """A grid manager's (or staff member's) visit to a household about the compact: to
    explain it, to renew a pledge, or one that found nobody at home. Counted per month in
    the statistics ("grid managers' monthly household visits")."""

    class Outcome(models.TextChoices):
        SIGNED = "signed", _("signed or renewed")
        EXPLAINED = "explained", _("compact explained")
        DECLINED = "declined", _("declined to sign")
        NOBODY_HOME = "nobody_home", _("nobody at home")

    household = models.ForeignKey(
        "grid.Household",
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("household"),
    )
    visited_on = models.DateField(_("visited on"))
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="household_visits",
        verbose_name=_("visited by"),
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household visit")
        verbose_name_plural = _("household visits")
        ordering = ["-visited_on", "-pk"]
        constraints = [
            # One visit per household, visitor and day: a form sent twice records one.
            models.UniqueConstraint(
                fields=["household", "visited_by", "visited_on"],
                name="pledges_visit_once_a_day",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["signed", "explained", "declined", "nobody_home"]),
                name="pledges_visit_outcome_valid",
            ),
        ]
        indexes = [models.Index(fields=["visited_on"], name="pledges_visit_on_idx")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.visited_on}"
