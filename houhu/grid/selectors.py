"""Reads of the core geography, always scoped to a user through `houhu.accounts.scopes`.

Every list the API or the map shows starts from one of these functions, so "who sees
which grid" is decided in `scopes.districts_for` and nowhere else:

- station-wide roles (staff, admin, leader) see every line and village of the stations
  whose grids they see, even those with no household or segment yet;
- a grid manager sees what lies in their grids; a villager sees their own grid's map
  (grid, transformer areas, lines, segments) but only their own household.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, FloatField, Func, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from houhu.accounts.scopes import Can, can, districts_for, household_filter, sees_households

from .geo import length_m
from .models import District, Household, Line, Segment, TransformerArea, Village

if TYPE_CHECKING:
    from houhu.accounts.models import User


def household_identity_visible(user: User) -> bool:
    """May this user see households' names, phones and addresses?

    County leaders read statistics, not people: they get households without the head's
    name, phone or address. Villagers only ever see their own household (see
    `households_for`). The rule: `scopes.PERSONAL_DATA`.
    """
    return sees_households(user)


def districts_visible(user: User) -> QuerySet[District]:
    return districts_for(user).select_related("station", "manager")


def transformer_areas_for(user: User) -> QuerySet[TransformerArea]:
    return TransformerArea.objects.filter(district__in=districts_for(user)).select_related(
        "district"
    )


def households_for(user: User) -> QuerySet[Household]:
    return Household.objects.filter(household_filter(user)).select_related(
        "village", "transformer_area"
    )


def villages_for(user: User) -> QuerySet[Village]:
    if can(user, Can.SEE_WHOLE_STATION):
        return Village.objects.filter(station__in=districts_for(user).values("station"))
    # A village can straddle two grids: one row per village, not per household.
    ids = Household.objects.filter(household_filter(user)).values("village")
    return Village.objects.filter(pk__in=ids)


def lines_for(user: User) -> QuerySet[Line]:
    if not user.is_authenticated:
        return Line.objects.none()
    districts = districts_for(user)
    if can(user, Can.SEE_WHOLE_STATION):
        return Line.objects.filter(station__in=districts.values("station"))
    ids = Segment.objects.filter(district__in=districts).values("line")
    return Line.objects.filter(pk__in=ids)


def segments_for(user: User) -> QuerySet[Segment]:
    return Segment.objects.filter(district__in=districts_for(user)).select_related(
        "line", "district"
    )


# --- Per-grid counts ------------------------------------------------------------------


def _count(qs: QuerySet) -> Coalesce:
    """A correlated COUNT(*) subquery (no join fan-out, unlike several Count() on one row)."""
    # COUNT as a plain Func, not an Aggregate: Django then adds no GROUP BY, and the
    # subquery returns exactly one row, 0 included.
    sub = qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def live_count_annotations() -> dict:
    """Per-district counts computed on the spot, keyed as `DistrictCounts`' fields.

    Each count is its own correlated subquery on an indexed foreign key, so one SELECT
    over the districts aggregates everything without multiplying rows.
    """
    here = OuterRef("pk")
    households = Household.objects.filter(transformer_area__district=here, is_active=True)
    length = (
        Segment.objects.filter(district=here)
        .order_by()
        .annotate(total=Func(length_m("geom"), function="SUM", output_field=FloatField()))
        .values("total")
    )
    return {
        "household_count": _count(households),
        "aquaculture_household_count": _count(households.filter(is_aquaculture=True)),
        "transformer_area_count": _count(TransformerArea.objects.filter(district=here)),
        "segment_count": _count(Segment.objects.filter(district=here)),
        "line_length_m": Coalesce(Subquery(length, output_field=FloatField()), 0.0),
    }


def districts_with_counts(qs: QuerySet[District]) -> QuerySet[District]:
    """Annotate the stored counts of `grid.refresh_district_counts`, or live ones if none.

    PostgreSQL's COALESCE evaluates its second argument only when the first is NULL, so a
    grid with a stored row costs no counting.
    """
    live = live_count_annotations()
    return qs.annotate(
        counts_computed_at=F("counts__computed_at"),
        **{name: Coalesce(F(f"counts__{name}"), expr) for name, expr in live.items()},
    )
