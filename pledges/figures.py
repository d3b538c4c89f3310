"""The figures of the compact and of responsibility, defined ONCE.

The coverage pages and API (`pledges.selectors.coverage`) use the ORM forms below; the
statistics snapshots (`stats.compute`) use the SQL forms next to them. Each pair is one
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

from houhu.figures import Col, Ratio, sql_literal

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


def signed_intervals_sql() -> str:
    """The SQL form: one row per household and stretch of time it was signed without a
    break, (household_id, since, until), until NULL while it still is. A household is
    signed at T exactly when since < T and (until IS NULL OR until >= T) for one of its
    rows: overlapping pledges (a renewal signed before the old one ended) are merged so
    that each instant is counted once."""
    table = Pledge._meta.db_table
    return f"""
    SELECT household_id, min(since) AS since,
           nullif(max(until), 'infinity'::timestamptz) AS until
    FROM (SELECT household_id, since, until,
                 sum(starts) OVER (PARTITION BY household_id ORDER BY since, until) AS stretch
          FROM (SELECT household_id, since, until,
                       CASE WHEN since <= max(until) OVER (
                                PARTITION BY household_id ORDER BY since, until
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                            THEN 0 ELSE 1 END AS starts
                FROM (SELECT household_id, signed_at AS since,
                             coalesce(ended_at, 'infinity'::timestamptz) AS until
                      FROM {table}
                      -- A pledge ended before it was signed was never in force.
                      WHERE ended_at IS NULL OR ended_at >= signed_at) AS p) AS marked
         ) AS s
    GROUP BY household_id, stretch
    """  # noqa: S608 - the table name is the model's, never input


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
