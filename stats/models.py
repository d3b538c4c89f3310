"""Compliance statistics: one snapshot row per (scope level, scope, period kind, period start).

Snapshots are written only by `stats.compute` (set-based SQL, one transaction per run) and
read by the dashboard, the exports and the API. What each figure means is defined once, in
`patrols.figures`, `pledges.figures` and `stats.figures` (docs/figures.md lists them):
flows count the reports received in the period; stocks (open, overdue, signed households,
responsibility, segments patrolled in the last 30 days) are taken at `as_of`, the period's
end or, while the period runs, the time of the computation.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .figures import OVERDUE_PARTS, PATROL_COVERAGE, PLEDGE_RATE, RESPONSIBILITY_RATE


class Level(models.TextChoices):
    TRANSFORMER_AREA = "transformer_area", _("Transformer area")
    DISTRICT = "district", _("Service grid")
    STATION = "station", _("Power supply station")
    COUNTY = "county", _("County")


class PeriodKind(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    # The previous month up to the same point as the running month ("1-7 Nov" while it is
    # 7 Dec): what month-to-date figures are compared with. One row per area, replaced by
    # every refresh of the current period.
    MONTH_TO_DATE = "mtd", _("Previous month to the same day")


class Snapshot(models.Model):
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    # The id of the transformer area, district, station or county named by `level`; the
    # ancestors are copied so that scoping to a user's districts is a plain filter.
    scope_id = models.BigIntegerField(_("scope id"))
    scope_name = models.CharField(_("name"), max_length=100)
    # Snapshots are derived rows written by one INSERT ... SELECT from the grid tables
    # themselves, so their references are right by construction; database FK checks and
    # per-column indexes cost more than the aggregation on a county-wide run
    # (docs/benchmarks.md). Deleting an area still cascades (Django's collector).
    county = models.ForeignKey(
        "grid.County",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("county"),
        db_constraint=False,
        db_index=False,
    )
    station = models.ForeignKey(
        "grid.Station",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("station"),
        db_constraint=False,
        db_index=False,
    )
    district = models.ForeignKey(
        "grid.District",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service grid"),
        db_constraint=False,
        db_index=False,
    )
    period = models.CharField(_("period"), max_length=5, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    as_of = models.DateTimeField(
        _("figures as of"),
        help_text=_(
            "The end of the period, or the time of the computation while the period runs: "
            "flows count up to it, stocks are taken at it."
        ),
    )

    # Denominators: what rates are normalised by.
    households = models.IntegerField(_("households"), default=0)
    segments = models.IntegerField(_("line segments"), default=0)
    line_length_m = models.FloatField(_("line length (m)"), default=0.0)

    # 村规民约 and 你包片、我包段、家家户户包门前, as of the period's end; empty on day rows
    # (a daily stock of every area would be a million rows a year for no reader).
    households_signed = models.IntegerField(
        null=True, blank=True, verbose_name=_("households signed")
    )
    covered_length_m = models.FloatField(
        _("line length with a responsible (m)"), null=True, blank=True
    )
    front_doors_confirmed = models.IntegerField(
        null=True, blank=True, verbose_name=_("front doors confirmed")
    )
    segments_patrolled_30d = models.IntegerField(
        null=True, blank=True, verbose_name=_("segments patrolled in 30 days")
    )
    # Visits by grid managers and staff to households in the period (a flow); empty on days.
    household_visits = models.IntegerField(_("household visits"), null=True, blank=True)

    # Flows: the reports received in the period (patrols.figures.FLOWS).
    reports = models.IntegerField(_("reports"), default=0)
    hazards_reported = models.IntegerField(_("hazards reported"), default=0)
    confirmed = models.IntegerField(_("confirmed"), default=0)
    rejected = models.IntegerField(_("rejected"), default=0)
    cleared = models.IntegerField(_("cleared"), default=0)
    cleared_self = models.IntegerField(_("cleared by villagers"), default=0)
    cleared_crew = models.IntegerField(_("cleared by a crew"), default=0)
    verified = models.IntegerField(_("verified"), default=0)
    tree_places_reported = models.IntegerField(_("tree obstacles reported (places)"), default=0)
    # Stocks at `as_of` (patrols.figures.STOCKS); empty on day rows, like coverage.
    open_hazards = models.IntegerField(_("open hazards"), null=True, blank=True)
    open_in_zone = models.IntegerField(_("open inside the protection zone"), null=True, blank=True)
    overdue_confirm = models.IntegerField(_("overdue for confirmation"), null=True, blank=True)
    overdue_clear = models.IntegerField(_("overdue for clearing"), null=True, blank=True)
    confirm_median_h = models.FloatField(_("time to confirm, median (h)"), null=True, blank=True)
    confirm_p90_h = models.FloatField(
        _("time to confirm, 90th percentile (h)"), null=True, blank=True
    )
    clear_median_h = models.FloatField(
        _("time to verified clearing, median (h)"), null=True, blank=True
    )
    clear_p90_h = models.FloatField(
        _("time to verified clearing, 90th percentile (h)"), null=True, blank=True
    )
    tree_places_cleared = models.IntegerField(_("tree obstacles cleared (places)"), default=0)
    tree_places_cleared_self = models.IntegerField(
        _("tree obstacles cleared by villagers (places)"), default=0
    )
    tree_places_cleared_crew = models.IntegerField(
        _("tree obstacles cleared by a crew (places)"), default=0
    )
    trees_removed = models.IntegerField(_("trees removed"), default=0)
    construction_stopped = models.IntegerField(_("construction activities stopped"), default=0)
    behaviours = models.JSONField(_("unsafe behaviours by category"), default=dict)

    score = models.FloatField(_("compliance score"), null=True, blank=True)
    enough_data = models.BooleanField(_("enough data to rank"), default=False)

    # Provenance: when, and by which run (its duration and the sources' row counts and
    # highest ids, i.e. what the figures were computed from).
    computed_at = models.DateTimeField(_("computed at"))
    run = models.ForeignKey(
        "stats.SnapshotRun",
        on_delete=models.PROTECT,
        related_name="snapshots",
        verbose_name=_("computed by run"),
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("statistics snapshot")
        verbose_name_plural = _("statistics snapshots")
        ordering = ["level", "scope_id", "period", "-period_start"]
        constraints = [
            # The upsert key: re-running a period overwrites its rows, never adds to them.
            models.UniqueConstraint(
                fields=["level", "scope_id", "period", "period_start"],
                name="stats_snapshot_scope_period_unique",
            ),
            models.CheckConstraint(
                condition=Q(level__in=Level.values), name="stats_snapshot_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(period__in=PeriodKind.values), name="stats_snapshot_period_valid"
            ),
            models.CheckConstraint(
                condition=(Q(level="county") & Q(station__isnull=True) & Q(district__isnull=True))
                | (Q(level="station") & Q(station__isnull=False) & Q(district__isnull=True))
                | (
                    Q(level__in=["district", "transformer_area"])
                    & Q(station__isnull=False)
                    & Q(district__isnull=False)
                ),
                name="stats_snapshot_ancestors_match_level",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="stats_snapshot_score_range",
            ),
        ]
        indexes = [
            # The dashboard reads "all districts (or areas) of a station for one period";
            # "one area over months" uses the unique index. Every index is paid on each
            # county-wide rewrite, so there are no others.
            models.Index(
                fields=["period", "period_start", "level", "station"],
                name="stats_snapshot_period_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.scope_name} {self.period} {self.period_start}"

    # The rates, as defined once (pledges.figures, patrols.figures).
    @property
    def pledge_rate(self) -> float | None:
        return PLEDGE_RATE.of(self)

    @property
    def responsibility_rate(self) -> float | None:
        return RESPONSIBILITY_RATE.of(self)

    @property
    def patrol_coverage(self) -> float | None:
        return PATROL_COVERAGE.of(self)

    @property
    def overdue(self) -> int | None:
        parts = [getattr(self, c) for c in OVERDUE_PARTS]
        return None if None in parts else sum(parts)


class SnapshotRun(models.Model):
    """One computation run: what was asked, how it ended. Appended, never edited after."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    period = models.CharField(_("period"), max_length=5, choices=PeriodKind.choices)
    as_of = models.DateTimeField(
        _("computed as of"), null=True, help_text=_("The time the run's figures are taken at.")
    )
    first_start = models.DateField(_("first period"))
    last_start = models.DateField(_("last period"))
    district = models.ForeignKey(
        "grid.District",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only this service grid"),
    )
    status = models.CharField(_("status"), max_length=6, choices=Status.choices)
    rows = models.IntegerField(_("rows written"), default=0)
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.IntegerField(_("duration (ms)"), default=0)
    source = models.JSONField(_("computed from"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("statistics run")
        verbose_name_plural = _("statistics runs")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["done", "failed"]), name="stats_snapshotrun_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(last_start__gte=models.F("first_start")),
                name="stats_snapshotrun_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.first_start}..{self.last_start} {self.status}"
