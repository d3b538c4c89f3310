"""The figures of the compact and of responsibility, defined ONCE.

The coverage pages and API (`pledges.responsibility.selectors.coverage`) use the ORM forms
below; the statistics snapshots (`stats.compute`) use the SQL forms next to them. Each pair is one
rule written twice only because one side is a Q object and the other a set-based
statement over many periods; tests/pledges/test_figures.py checks that both forms of
"signed" count the same households on generated histories, and
tests/stats/test_one_truth.py that every screen shows the same numbers.

- A pledge is *in force* from its `signed_at` until its `ended_at` (renewed or withdrawn;
  an active pledge has none). A household is *signed* at an instant when one of its pledges
  is in force then: signed before it and not ended before it.
- An assignment (patch, segment, front door) is *in force* on a local date from its
  `valid_from` to its `valid_until` (inclusive) unless struck out (`cancelled_at`).
- Signed households and front doors count active households only.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from houhu.lib.figures import Col, Ratio, sql_literal

from .models import Assignment, Pledge

# Front doors confirmed on the ground (not merely proposed from the map).
FRONT_DOOR_CONFIRMED = Col("front_door_state").in_(
    (Assignment.FrontDoorState.CONFIRMED, Assignment.FrontDoorState.ADJUSTED)
)


def pledge_in_force(at: dt.datetime, prefix: str = "") -> Q:
    """Pledges in force at the instant `at` (ORM)."""
    p = prefix
    return Q(**{f"{p}signed_at__lt": at}) & (
        Q(**{f"{p}ended_at__isnull": True}) | Q(**{f"{p}ended_at__gte": at})
    )


def household_signed(at: dt.datetime, household_ref: str = "pk") -> Exists:
    """Households signed at `at` (ORM, on a Household queryset or a relation to one)."""
    return Exists(Pledge.objects.filter(pledge_in_force(at), household=OuterRef(household_ref)))


def pledge_in_force_instants_sql(alias: str, instants: str, n: str) -> tuple[str, str]:
    """The SQL form of `pledge_in_force` at many instants at once: for `instants`, an SQL
    array of n sorted instants, a pledge is in force at the k-th (k = 1..n) exactly when
    first <= k <= last for the two expressions returned. (width_bucket counts the
    instants <= its argument: signed_at < T_k is k > width_bucket(signed_at), and
    ended_at >= T_k is k <= width_bucket(ended_at).) A household is signed at the k-th
    instant when one of its pledges is in force then."""
    first = f"width_bucket({alias}.signed_at, {instants}) + 1"
    last = f"coalesce(width_bucket({alias}.ended_at, {instants}), {n})"
    return first, last


def assignment_in_force(on: dt.date, prefix: str = "") -> Q:
    """Assignments in force on the local date `on` (ORM)."""
    p = prefix
    return (
        Q(**{f"{p}valid_from__lte": on})
        & (Q(**{f"{p}valid_until__isnull": True}) | Q(**{f"{p}valid_until__gte": on}))
        & Q(**{f"{p}cancelled_at__isnull": True})
    )


def assignment_in_force_sql(alias: str, on: str) -> str:
    """The SQL form of `assignment_in_force` for the date expression `on`."""
    a = alias
    return (
        f"{a}.valid_from <= {on} AND ({a}.valid_until IS NULL OR {a}.valid_until >= {on})"
        f" AND {a}.cancelled_at IS NULL"
    )


def assignment_in_force_days_sql(alias: str, days: str, n: str) -> tuple[str, str]:
    """The SQL form of `assignment_in_force` on many days at once, the part that depends
    on the day: for `days`, an SQL array of n dates in order, an assignment that is not
    cancelled is in force on the k-th (k = 1..n) exactly when first <= k <= last for the
    two expressions returned. (width_bucket counts the days <= its argument: valid_from <=
    D_k is k > width_bucket(valid_from - 1), and valid_until >= D_k is k <=
    width_bucket(valid_until).) The caller keeps `cancelled_at IS NULL`."""
    first = f"width_bucket({alias}.valid_from - 1, {days}) + 1"
    last = f"coalesce(width_bucket({alias}.valid_until, {days}), {n})"
    return first, last


def scope_sql(alias: str, scope: str) -> str:
    return f"{alias}.scope = {sql_literal(Assignment.Scope(scope))}"


# The rates. Neither needs a cap: a household is signed or not (signed <= households), and
# a segment's length counts once whether one or three people answer for it
# (covered <= line length).
PLEDGE_RATE = Ratio(
    "pledge_rate",
    _("Pledge coverage"),
    "households_signed",
    "households",
    _("Households signed at the period's end ÷ active households."),
)
RESPONSIBILITY_RATE = Ratio(
    "responsibility_rate",
    _("Responsibility coverage"),
    "covered_length_m",
    "line_length_m",
    _(
        "Line length of the segments with a responsible person (我包段) on the period's "
        "last day ÷ line length."
    ),
)
FRONT_DOOR_RATE = Ratio(
    "front_door_rate",
    _("Front doors confirmed"),
    "front_doors_confirmed",
    "households",
    _("Active households with a confirmed front door (包门前) ÷ active households."),
)

# What the figures mean, for docs/figures.md (generated and checked by a test).
DOCS = {
    "households_signed": _(
        "Active households with a pledge in force at the period's end (村规民约), whenever "
        "they signed."
    ),
    "covered_length_m": _(
        "Length of the segments with a segment assignment in force on the period's last day."
    ),
    "front_doors_confirmed": _(
        "Active households whose front-door assignment (包门前) is in force on the period's "
        "last day and was confirmed or adjusted by staff."
    ),
    "household_visits": _(
        "Visits by grid managers and staff to households, by the date of the visit."
    ),
}
