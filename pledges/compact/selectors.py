"""Reads of the compact and its pledges, scoped to the user through
`houhu.accounts.scopes`. Every figure is one SQL statement; nothing loops over household
rows in Python.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from houhu.accounts.scopes import Can, can, districts_for, household_filter, sees_households
from houhu.grid.models import District, Household, Village
from houhu.lib.sql import AddDays

from .. import figures
from .models import Compact, CompactVersion, HouseholdVisit, Pledge

if TYPE_CHECKING:
    from houhu.accounts.models import User


def _today() -> dt.date:
    return timezone.localdate()


def households_for(user: User) -> QuerySet[Household]:
    """Households whose pledges the user may see (houhu.accounts.scopes: a villager only
    their own)."""
    return Household.objects.filter(household_filter(user))


def active_pledge_exists(household_ref: str = "pk") -> Exists:
    """Households signed now (pledges.figures says what "signed" is)."""
    return figures.household_signed(timezone.now(), household_ref)


def compacts_for(user: User) -> QuerySet[Compact]:
    stations = districts_for(user).values("station")
    return Compact.objects.filter(station__in=stations)


def versions_for(user: User) -> QuerySet[CompactVersion]:
    """Staff see drafts of their station's compacts; everyone else only published texts."""
    if not user.is_authenticated:
        return CompactVersion.objects.none()
    qs = CompactVersion.objects.filter(compact__in=compacts_for(user))
    if not can(user, Can.EDIT_COMPACTS):  # drafts are for those who write them
        qs = qs.exclude(status=CompactVersion.Status.DRAFT)
    return qs.select_related("compact")


def compact_covers_village_q(village: Village) -> Q:
    """Compacts that apply to a village: its own, its grids' (via its households), its station's."""
    district_ids = District.objects.filter(transformer_areas__households__village=village).values(
        "pk"
    )
    return (
        Q(compact__scope=Compact.Scope.VILLAGE, compact__village=village)
        | Q(compact__scope=Compact.Scope.DISTRICT, compact__district__in=district_ids)
        | Q(compact__scope=Compact.Scope.STATION, compact__station_id=village.station_id)
    )


def compact_in_force(*, village: Village, on: dt.date | None = None) -> CompactVersion | None:
    """The published version in force for a village; the most specific compact wins
    (village over grid over station)."""
    on = on or _today()
    return (
        CompactVersion.objects.filter(
            compact_covers_village_q(village),
            status=CompactVersion.Status.PUBLISHED,
            effective_from__lte=on,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .annotate(
            specificity=Case(
                When(compact__scope=Compact.Scope.VILLAGE, then=Value(0)),
                When(compact__scope=Compact.Scope.DISTRICT, then=Value(1)),
                default=Value(2),
            )
        )
        .order_by("specificity", "-effective_from", "-pk")
        .select_related("compact")
        .prefetch_related("clauses")
        .first()
    )


def pledge_for_household(*, household: Household) -> Pledge | None:
    """The household's current (active) pledge, newest first."""
    return (
        Pledge.objects.filter(household=household, status=Pledge.Status.ACTIVE)
        .select_related("version__compact", "signed_by", "recorded_by")
        .order_by("-signed_at", "-pk")
        .first()
    )


def pledge_history(*, household: Household) -> QuerySet[Pledge]:
    return (
        Pledge.objects.filter(household=household)
        .select_related("version__compact")
        .prefetch_related("events")
        .order_by("-signed_at", "-pk")
    )


def pledges_for(user: User) -> QuerySet[Pledge]:
    return Pledge.objects.filter(household__in=households_for(user)).select_related(
        "household", "version__compact"
    )


def visits_for(user: User) -> QuerySet[HouseholdVisit]:
    """Visits to the households the user may see (a villager: visits to their own)."""
    return HouseholdVisit.objects.filter(household__in=households_for(user)).select_related(
        "household", "visited_by"
    )


def due_pledges(on: dt.date | None = None) -> QuerySet[Pledge]:
    """Active pledges due for renewal on a date: older than the renewal period (the
    version's, or PLEDGES_RENEWAL_DAYS), or on a superseded or expired version. Annotated
    with `d_signed_on` and `d_due_on`. The one definition of "due": the renewal list, the
    villager's reminder and the signing service (compact/signing.py) read it."""
    on = on or _today()
    default_days = int(settings.PLEDGES_RENEWAL_DAYS)
    return (
        Pledge.objects.filter(status=Pledge.Status.ACTIVE)
        .annotate(
            d_signed_on=TruncDate("signed_at"),
            d_due_on=AddDays(
                TruncDate("signed_at"),
                Coalesce(F("version__renew_after_days"), Value(default_days)),
            ),
        )
        .filter(
            Q(d_due_on__lte=on)
            | Q(version__status=CompactVersion.Status.SUPERSEDED)
            | Q(version__valid_until__lt=on)
        )
    )


def households_due_for_renewal(*, user: User, on: dt.date | None = None) -> QuerySet[Household]:
    """Households (in the user's scope) whose active pledge is due: older than the renewal
    period (the version's, or PLEDGES_RENEWAL_DAYS) or on a superseded/expired version.

    Annotated with `pledge_id`, `signed_on`, `due_on` and `version_status`; a villager's
    home page calls it with their own account for the reminder.
    """
    # The due pledges of one household; the filter is an EXISTS (a semi-join), and the
    # display columns are computed only for the households that pass it.
    due = due_pledges(on).filter(household=OuterRef("pk")).order_by("d_due_on", "pk")
    return (
        households_for(user)
        .filter(is_active=True)
        .filter(Exists(due))
        .annotate(
            pledge_id=Subquery(due.values("pk")[:1]),
            signed_on=Subquery(due.values("d_signed_on")[:1]),
            due_on=Subquery(due.values("d_due_on")[:1]),
            version_status=Subquery(due.values("version__status")[:1]),
        )
        .select_related("village", "transformer_area")
        .order_by("due_on", "village__name", "customer_number")
    )


def renewal_visit_list(
    *, user: User, query: str = "", due_only: bool = True, on: dt.date | None = None
) -> QuerySet[Household]:
    """The renewal visit list: active households in the user's scope, only those due for
    renewal unless `due_only` is off, matching `query` on the customer number, the
    village's name or (for those who may see it) the head of household's name. Grouped
    by village, the longest due first; annotated like households_due_for_renewal, plus
    `last_visit`. Uncapped: the page pages it, the printed round takes it all."""
    due = due_pledges(on).filter(household=OuterRef("pk")).order_by("d_due_on", "pk")
    qs = households_for(user).filter(is_active=True)
    if due_only:
        qs = qs.filter(Exists(due))
    if query:
        match = Q(customer_number__icontains=query) | Q(village__name__icontains=query)
        if sees_households(user):  # else a name search would confirm a name
            match |= Q(head_name__icontains=query)
        qs = qs.filter(match)
    last_visit = HouseholdVisit.objects.filter(household=OuterRef("pk")).order_by("-visited_on")
    return (
        qs.annotate(
            signed_on=Subquery(due.values("d_signed_on")[:1]),
            due_on=Subquery(due.values("d_due_on")[:1]),
            last_visit=Subquery(last_visit.values("visited_on")[:1]),
        )
        .select_related("village")
        .order_by(
            "village__office", "village__name", F("due_on").asc(nulls_last=True),
            "customer_number", "pk",
        )
    )  # fmt: skip


def unsigned_households(
    *, user: User, village: Village | int | None = None, district: District | int | None = None
) -> QuerySet[Household]:
    """Active households in scope without an active pledge: the manager's visit list."""
    qs = households_for(user).filter(is_active=True).exclude(active_pledge_exists())
    if village is not None:
        qs = qs.filter(village=village)
    if district is not None:
        qs = qs.filter(transformer_area__district=district)
    return qs.select_related("village", "transformer_area").order_by(
        "village__name", "customer_number"
    )


def household_pledge_status(*, household: Household, user: User) -> dict:
    """What the villager's pages show: the version in force, whether it is signed, and the
    renewal reminder. Composed from the selectors; no rule of its own."""
    version = compact_in_force(village=household.village)
    active = pledge_for_household(household=household)
    signed_current = bool(active and version and active.version_id == version.pk)
    return {
        "version": version,
        "active_pledge": active,
        "signed_current": signed_current,
        # Due: an active pledge older than the renewal period or on a superseded version.
        "renewal_due": bool(active)
        and households_due_for_renewal(user=user).filter(pk=household.pk).exists(),
    }
