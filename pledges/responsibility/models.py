"""Responsibility (你包片、我包段、家家户户包门前): `Assignment` says who answers for a patch
(polygon), a segment, or a household's front door (its nearest segment), bounded in time;
`AssignmentEvent` records each change, immutably. The database refuses two overlapping
active primary assignments of one segment (exclusion constraint on a date range).

All writes go through `pledges.responsibility.services`; scoped reads through
`pledges.responsibility.selectors`. Metres: `houhu.grid.geo` (cast to geography).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _

from houhu.lib.models import ImmutableModel


class DateRange(Func):
    """daterange(lower, upper, bounds): `valid_until` is the last day of responsibility."""

    function = "DATERANGE"
    output_field = DateRangeField()


class Assignment(models.Model):
    """Who answers for a patch, a segment or a household's front door, from/until."""

    class Scope(models.TextChoices):
        PATCH = "patch", _("Patch (你包片)")
        SEGMENT = "segment", _("Segment (我包段)")
        FRONT_DOOR = "front_door", _("Front door (家家户户包门前)")

    class FrontDoorState(models.TextChoices):
        PROPOSED = "proposed", _("Proposed (derived from the map)")
        CONFIRMED = "confirmed", _("Confirmed by staff")
        ADJUSTED = "adjusted", _("Adjusted by staff")

    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    district = models.ForeignKey(
        "grid.District",
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("service grid"),
        help_text=_("Who may manage the assignment follows from this grid."),
    )
    village = models.ForeignKey(
        "grid.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("village"),
    )
    # The person: an account, or a name and phone for a village cadre or volunteer line
    # guard who has none. A front door's person is the household itself.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("person (account)"),
    )
    person_name = models.CharField(_("person's name"), max_length=50, blank=True)
    person_phone = models.CharField(_("person's phone"), max_length=20, blank=True)
    segment = models.ForeignKey(
        "grid.Segment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("line segment"),
    )
    household = models.ForeignKey(
        "grid.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("household"),
    )
    patch = models.PolygonField(_("patch"), srid=4326, null=True, blank=True)
    valid_from = models.DateField(_("from"))
    valid_until = models.DateField(
        _("until (last day)"), null=True, blank=True, help_text=_("Empty: open-ended.")
    )
    is_primary = models.BooleanField(
        _("primary responsible"),
        default=True,
        help_text=_("A segment has one primary responsible at a time; others assist."),
    )
    front_door_state = models.CharField(
        _("front-door state"),
        max_length=10,
        choices=FrontDoorState.choices,
        null=True,
        blank=True,
    )
    distance_m = models.FloatField(_("distance to the line (m)"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    # Set when an assignment is struck out as if it never held (replaced the day it began
    # or entered by mistake); ended assignments keep their dates instead.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
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
        verbose_name = _("responsibility assignment")
        verbose_name_plural = _("responsibility assignments")
        ordering = ["district", "scope", "-valid_from", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["patch", "segment", "front_door"]),
                name="pledges_assignment_scope_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(scope="patch")
                    & Q(patch__isnull=False)
                    & Q(segment__isnull=True)
                    & Q(household__isnull=True)
                )
                | (
                    Q(scope="segment")
                    & Q(patch__isnull=True)
                    & Q(segment__isnull=False)
                    & Q(household__isnull=True)
                )
                | (
                    Q(scope="front_door")
                    & Q(patch__isnull=True)
                    & Q(segment__isnull=False)
                    & Q(household__isnull=False)
                ),
                name="pledges_assignment_scope_target",
            ),
            models.CheckConstraint(
                condition=(Q(scope="front_door") & Q(front_door_state__isnull=False))
                | (~Q(scope="front_door") & Q(front_door_state__isnull=True)),
                name="pledges_assignment_front_door_state",
            ),
            models.CheckConstraint(
                condition=Q(front_door_state__isnull=True)
                | Q(front_door_state__in=["proposed", "confirmed", "adjusted"]),
                name="pledges_assignment_front_door_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(scope="front_door") | Q(user__isnull=False) | ~Q(person_name=""),
                name="pledges_assignment_has_person",
            ),
            models.CheckConstraint(
                condition=Q(patch__isnull=True) | Q(patch__isvalid=True),
                name="pledges_assignment_patch_valid",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="pledges_assignment_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(distance_m__isnull=True) | Q(distance_m__gte=0),
                name="pledges_assignment_distance_positive",
            ),
            # 我包段: one primary person per segment at any date. Needs btree_gist for `=`.
            ExclusionConstraint(
                name="pledges_assignment_segment_primary_no_overlap",
                expressions=[
                    (
                        DateRange("valid_from", "valid_until", RangeBoundary(True, True)),
                        RangeOperators.OVERLAPS,
                    ),
                    ("segment", RangeOperators.EQUAL),
                ],
                condition=Q(scope="segment", is_primary=True, cancelled_at__isnull=True),
            ),
            # 包门前: one open front door per household, which also makes re-deriving a
            # village idempotent.
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(
                    scope="front_door", valid_until__isnull=True, cancelled_at__isnull=True
                ),
                name="pledges_assignment_one_open_front_door",
            ),
        ]
        indexes = [
            GistIndex(fields=["patch"], name="pledges_assignment_patch_gist"),
            # Coverage and the patrols app look up "who answers for this segment".
            models.Index(
                fields=["segment", "scope"],
                condition=Q(cancelled_at__isnull=True),
                name="pledges_assignment_segment_idx",
            ),
        ]

    def __str__(self) -> str:
        target = self.segment or self.household or _("patch")
        return f"{self.get_scope_display()}: {target} — {self.person_label}"

    @property
    def shape(self):
        """What to draw: the patch, or the segment of a segment or front door."""
        if self.patch is not None:
            return self.patch
        return self.segment.geom if self.segment_id else None

    @property
    def person_label(self) -> str:
        if self.user_id:
            return str(self.user)
        if self.person_name:
            return self.person_name
        return self.household.head_name if self.household_id else ""


class AssignmentEvent(ImmutableModel):
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("assignment"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=20)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("assignment event")
        verbose_name_plural = _("assignment events")
        ordering = ["assignment", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.action}"
