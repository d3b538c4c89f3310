"""Every figure the ledger shows about patrol reports, defined ONCE.

The live counts (`patrols.selectors.report_counts`, /api/patrols/counts/, the staff
workspace) render these definitions as Django Q objects; the statistics snapshots
(`stats.compute`) render the very same definitions as SQL. A figure is therefore the same
number on every screen for the same area and period (tests/stats/test_one_truth.py), and
docs/figures.md is generated from the docstrings below (tests/test_docs_figures.py).

Periods. A period is [start, end) in local time (settings.TIME_ZONE). Its *as-of* instant is
its end, or the moment of computation while the period is still running:

- flows count the reports the station *received* in the period (received_at: the phone's
  own clock may be wrong, and an offline report arrives when the signal returns);
- stocks are taken at the as-of instant, over every report received before it, whatever
  its period: a hazard reported in April and still open at the end of November is open in
  November's figures. A report's status at an instant is the one its last event before that
  instant set (every change of status appends an event: patrols.services);
- "segments patrolled" is a rolling window: the PATROL_WINDOW before the as-of instant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from houhu.lib.figures import ALWAYS, Col, Cond, Ratio, sql_literal

from .models import HAZARD_KINDS as _HAZARD_KINDS
from .models import Report, ReportEvent, ServiceTarget

if TYPE_CHECKING:
    from django.utils.functional import Promise

S, K = Report.Status, Report.Kind
kind, status = Col("kind"), Col("status")

# The date a report's flows are counted on (see the module docstring).
PERIOD_FIELD = "received_at"
# "Segments patrolled in the last 30 days": the rolling window before the as-of instant.
PATROL_WINDOW = dt.timedelta(days=30)

NOT_REJECTED = status != S.REJECTED
HAZARD = kind.in_(Report.HAZARD_KINDS)
TREE = kind == K.TREE
# Anything found on a patrol: every kind but "patrolled, nothing found".
PROBLEM = kind != K.NOTHING_FOUND
CLEARING_STANDS = status.in_(Report.CLEARING_STANDS)
# Urgent: a hazard or a construction inside the line's protection zone, still open. The
# work queue puts these first among those not yet overdue, the map's clusters turn red on
# them, and the grid's WeCom group is told of a new one (patrols.wecom).
URGENT = PROBLEM & Col("in_zone").is_true()
# The statuses with a clock running (a service target): the work queue lists these.
# Escalated reports wait for another authority, on no clock of the station's.
ON_THE_CLOCK = (*Report.AWAITING_DECISION, *Report.AWAITING_CLEARING)
BY_VILLAGERS = Col("cleared_by") == Report.ClearedBy.SELF
BY_CREW = Col("cleared_by") == Report.ClearedBy.CREW


@dataclass(frozen=True)
class Flow:
    """A count (or a sum of `sum_of`) of the reports received in the period that meet
    `where`."""

    key: str
    label: Promise
    where: Cond
    doc: Promise
    sum_of: str | None = None


FLOWS: tuple[Flow, ...] = (
    Flow("reports", _("Reports"), ALWAYS, _("Reports of any type, patrols included.")),
    Flow(
        "hazards_reported",
        _("Hazards reported"),
        PROBLEM & NOT_REJECTED,
        _("Reports of a hazard or a construction, not rejected (a duplicate is rejected)."),
    ),
    Flow(
        "confirmed",
        _("Confirmed"),
        Col("confirmed_at").is_set(),
        _("Hazards confirmed by the station (at any time since)."),
    ),
    Flow("rejected", _("Rejected"), status == S.REJECTED, _("Reports rejected or merged.")),
    Flow(
        "cleared",
        _("Hazards cleared"),
        HAZARD & CLEARING_STANDS,
        _("Hazards whose clearing stands: cleared or verified, not reopened."),
    ),
    Flow(
        "cleared_self",
        _("Cleared by villagers"),
        HAZARD & CLEARING_STANDS & BY_VILLAGERS,
        _("Of the hazards cleared, those the villagers cleared themselves."),
    ),
    Flow(
        "cleared_crew",
        _("Cleared by a crew"),
        HAZARD & CLEARING_STANDS & BY_CREW,
        _("Of the hazards cleared, those a station crew cleared."),
    ),
    Flow(
        "verified",
        _("Verified cleared"),
        HAZARD & (status == S.VERIFIED),
        _("Hazards whose clearing staff verified on the spot (and nobody reopened)."),
    ),
    Flow(
        "tree_places_reported",
        _("Tree obstacles reported (places)"),
        TREE & NOT_REJECTED,
        _("Tree obstacle reports, not rejected; one report is one place."),
    ),
    Flow(
        "tree_places_cleared",
        _("Tree obstacles cleared (places)"),
        TREE & CLEARING_STANDS,
        _("Tree obstacles whose clearing stands (自清树障 are counted in places)."),
    ),
    Flow(
        "tree_places_cleared_self",
        _("Tree obstacles cleared by villagers (places)"),
        TREE & CLEARING_STANDS & BY_VILLAGERS,
        _("Of the tree obstacles cleared, those the villagers cleared themselves."),
    ),
    Flow(
        "tree_places_cleared_crew",
        _("Tree obstacles cleared by a crew (places)"),
        TREE & CLEARING_STANDS & BY_CREW,
        _("Of the tree obstacles cleared, those a station crew cleared."),
    ),
    Flow(
        "trees_removed",
        _("Trees removed"),
        TREE & CLEARING_STANDS,
        _("Trees removed on the tree obstacles cleared (障碍树木 are counted in trees)."),
        sum_of="trees_removed",
    ),
    Flow(
        "construction_stopped",
        _("Construction activities stopped"),
        (kind == K.CONSTRUCTION) & Col("construction_stopped").is_true() & NOT_REJECTED,
        _(
            "Construction next to a line stopped by the villager on the spot or by staff "
            "(the stop action), not rejected; permitting it later undoes the stop."
        ),
    ),
)
FLOW_KEYS = tuple(f.key for f in FLOWS)

# The nine unsafe behaviours (九个不见了), one count each, stored together.
BEHAVIOURS: tuple[Flow, ...] = tuple(
    Flow(
        value,
        label,
        (kind == K.BEHAVIOUR) & (Col("behaviour") == value) & NOT_REJECTED,
        _("Unsafe behaviour reports of this category, not rejected."),
    )
    for value, label in Report.Behaviour.choices
)


@dataclass(frozen=True)
class Duration:
    """Hours from `start` to `end` over the reports received in the period that meet
    `where`: median and 90th percentile (not additive: computed per area, never summed)."""

    key: str
    label: Promise
    start: str
    end: str
    where: Cond
    doc: Promise


DURATIONS: tuple[Duration, ...] = (
    Duration(
        "confirm",
        _("Time to confirm"),
        "received_at",
        "confirmed_at",
        Col("confirmed_at").is_set(),
        _("Hours from receipt to the first confirmation, over the hazards confirmed."),
    ),
    Duration(
        "clear",
        _("Time to verified clearing"),
        "received_at",
        "verified_at",
        HAZARD & (status == S.VERIFIED),
        _("Hours from receipt to the verification of the clearing, over the hazards verified."),
    ),
)
QUANTILES = {"median": 0.5, "p90": 0.9}


def duration_keys() -> list[str]:
    return [f"{d.key}_{q}_h" for d in DURATIONS for q in QUANTILES]


@dataclass(frozen=True)
class Stock:
    """The reports received before the as-of instant that meet `where` and whose status at
    that instant is one of `statuses`; with a `target`, only those that have been in that
    status longer than the station's service target ("overdue")."""

    key: str
    label: Promise
    statuses: tuple
    doc: Promise
    where: Cond = ALWAYS
    target: str | None = None  # "confirm" or "clear"


STOCKS: tuple[Stock, ...] = (
    Stock(
        "open_hazards",
        _("Open hazards"),
        Report.OPEN_STATUSES,
        _("Hazards and constructions waiting for someone at the period's end, whenever reported."),
    ),
    Stock(
        "open_in_zone",
        _("Open inside the protection zone"),
        Report.OPEN_STATUSES,
        _("Of the open hazards, those inside the line's protection zone."),
        where=Col("in_zone").is_true(),
    ),
    Stock(
        "overdue_confirm",
        _("Overdue for confirmation"),
        Report.AWAITING_DECISION,
        _("Open hazards still waiting for a first decision longer than the confirmation target."),
        target="confirm",
    ),
    Stock(
        "overdue_clear",
        _("Overdue for clearing"),
        Report.AWAITING_CLEARING,
        _(
            "Open hazards confirmed (or reopened) and not cleared since within the clearing "
            "target of their kind."
        ),
        target="clear",
    ),
)
STOCK_KEYS = tuple(s.key for s in STOCKS)
# Every status some stock counts: a report in none of these can be left out of the stocks.
STOCK_STATUSES = tuple(dict.fromkeys(st for s in STOCKS for st in s.statuses))
PATROLLED = "segments_patrolled_30d"
PATROLLED_DOC = _(
    "Line segments with at least one report (any type, patrols included; not rejected) "
    "received in the 30 days before the period's end."
)
PATROL_COVERAGE = Ratio(
    "patrol_coverage",
    _("Patrol coverage"),
    PATROLLED,
    "segments",
    _("Segments patrolled in the last 30 days ÷ segments."),
)
# What counts as a patrol of a segment (the window is PATROL_WINDOW).
PATROL = NOT_REJECTED & Col("segment_id").is_set()


# --- Service targets ----------------------------------------------------------------------
# Two clocks run on an open report, both from the moment it entered its status
# (status_changed_at, or the event's time for a past instant):
# - waiting for a first decision: the station's confirmation target (ServiceTarget rows,
#   edited by staff in the admin; settings.STATS_CONFIRM_WITHIN_HOURS without a row);
# - confirmed or reopened, waiting to be cleared: the clearing target of the hazard's kind
#   (settings.PATROLS_SLA_HOURS).
# The ORM forms (live counts, the work queue) and the SQL forms (snapshots) below render
# these same two rules: "overdue" is one number on every screen.


def default_targets() -> int:
    """Confirm within hours when no ServiceTarget row applies."""
    return settings.STATS_CONFIRM_WITHIN_HOURS


def clear_hours() -> dict[str, int]:
    """{hazard kind: hours to clear once confirmed}, from settings.PATROLS_SLA_HOURS,
    refused with a clear message when a hazard kind is missing or a value is not a
    positive whole number of hours."""
    sla = settings.PATROLS_SLA_HOURS
    missing = [k for k in _HAZARD_KINDS if k not in sla]
    bad = [k for k, h in sla.items() if not isinstance(h, int) or h < 1 or k not in _HAZARD_KINDS]
    if missing or bad:
        raise ImproperlyConfigured(
            f"PATROLS_SLA_HOURS needs a whole number of hours >= 1 for each hazard kind "
            f"{list(_HAZARD_KINDS)}; missing {missing}, invalid {bad}."
        )
    return {k: sla[k] for k in _HAZARD_KINDS}


def confirm_hours(station_id: int | None) -> int:
    """The confirmation target in force for a station: its own row, else the default row,
    else settings."""
    rows = {
        t.station_id: t
        for t in ServiceTarget.objects.filter(Q(station_id=station_id) | Q(station__isnull=True))
    }
    target = rows.get(station_id) if station_id else None
    target = target or rows.get(None)
    return target.confirm_within_hours if target else default_targets()


def target_sql(station: str, kind: str) -> tuple[str, str, str]:
    """SQL joins and the two target intervals for the station id expression `station`
    and the report kind expression `kind`."""
    table = ServiceTarget._meta.db_table
    joins = (
        f"LEFT JOIN {table} st_own ON st_own.station_id = {station} "
        f"LEFT JOIN {table} st_def ON st_def.station_id IS NULL"
    )
    confirm = (
        "make_interval(hours => coalesce(st_own.confirm_within_hours, "
        "st_def.confirm_within_hours, %(confirm_h)s))"
    )
    # Only hazards are ever confirmed or reopened: other kinds never reach this clock.
    cases = " ".join(f"WHEN {sql_literal(k)} THEN {int(h)}" for k, h in clear_hours().items())
    clear = f"make_interval(hours => CASE {kind} {cases} END)"
    return joins, confirm, clear


def target_params() -> dict[str, int]:
    return {"confirm_h": default_targets()}


class _Interval(Func):
    output_field = DateTimeField()

    def __init__(self, start, amount, unit: str):
        super().__init__(start, amount, template=f"(%(expressions)s * interval '1 {unit}')")
        self.arg_joiner = " + "


def _target_annotations() -> dict[str, Any]:
    """The targets for each report (ORM): the station's confirmation target (own row,
    default row, settings) and the clearing target of its kind."""
    own = ServiceTarget.objects.filter(station_id=OuterRef("district__station_id"))
    fallback = ServiceTarget.objects.filter(station__isnull=True)
    return {
        "_confirm_h": Coalesce(
            Subquery(own.values("confirm_within_hours")[:1]),
            Subquery(fallback.values("confirm_within_hours")[:1]),
            Value(default_targets()),
            output_field=IntegerField(),
        ),
        "_clear_h": Case(
            *[When(kind=k, then=Value(h)) for k, h in clear_hours().items()],
            default=None,
            output_field=IntegerField(),
        ),
    }


# --- The live forms (ORM) -----------------------------------------------------------------


def flow_aggregates(period: Q) -> dict[str, Any]:
    """{key: aggregate} of every flow over the reports of `period` (a Q on PERIOD_FIELD)."""
    out: dict[str, Any] = {}
    for f in FLOWS:
        cond = period & f.where.q()
        out[f.key] = Sum(f.sum_of, filter=cond, default=0) if f.sum_of else Count("pk", filter=cond)
    for b in BEHAVIOURS:
        out[f"behaviour__{b.key}"] = Count("pk", filter=period & b.where.q())
    return out


def status_at_annotations(as_of: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    """`_status_at` and `_status_since`: the report's status at `as_of` and since when.

    Up to now the last event is the report's current status (services write both in one
    transaction), so the columns are read directly; before, from the events."""
    if as_of >= now:
        return {"_status_at": F("status"), "_status_since": F("status_changed_at")}
    last = ReportEvent.objects.filter(report=OuterRef("pk"), at__lt=as_of).order_by("-at", "-pk")
    return {
        "_status_at": Subquery(last.values("to_status")[:1]),
        "_status_since": Subquery(last.values("at")[:1]),
    }


def stock_annotations() -> dict[str, Any]:
    """What the stock aggregates below need per report (targets and when they pass)."""
    ann = _target_annotations()
    ann["_confirm_due"] = ExpressionWrapper(
        _Interval(F("_status_since"), F("_confirm_h"), "hour"), output_field=DateTimeField()
    )
    ann["_clear_due"] = ExpressionWrapper(
        _Interval(F("_status_since"), F("_clear_h"), "hour"), output_field=DateTimeField()
    )
    return ann


def due_annotation() -> Case:
    """When the report's current clock runs out (needs status_at_ and stock_annotations):
    the confirmation target while it waits for a decision, the clearing target of its kind
    once confirmed or reopened, none otherwise. The work queue's timers; the stocks
    `overdue_confirm` and `overdue_clear` count the reports past it."""
    return Case(
        When(_status_at__in=list(Report.AWAITING_DECISION), then=F("_confirm_due")),
        When(_status_at__in=list(Report.AWAITING_CLEARING), then=F("_clear_due")),
        default=None,
        output_field=DateTimeField(),
    )


def stock_aggregates(as_of: dt.datetime) -> dict[str, Any]:
    """{key: aggregate} of every stock at `as_of` (needs status_at_ and stock_annotations)."""
    out: dict[str, Any] = {}
    received = Q(received_at__lt=as_of)
    for s in STOCKS:
        cond = received & Q(_status_at__in=list(s.statuses)) & s.where.q()
        if s.target:
            cond &= Q(**{f"_{s.target}_due__lt": as_of})
        out[s.key] = Count("pk", filter=cond)
    return out


def patrolled_aggregate(as_of: dt.datetime) -> Count:
    window = Q(received_at__gte=as_of - PATROL_WINDOW, received_at__lt=as_of)
    return Count("segment", distinct=True, filter=window & PATROL.q())


# --- The snapshot forms (SQL) -------------------------------------------------------------


def fact_sql(alias: str) -> list[tuple[str, str]]:
    """(column, SQL) per report of the flows and durations, for a table of facts: each
    condition is evaluated once per report, not once per aggregate and grouping set."""

    def col(name: str) -> str:
        return f"{alias}.{name}" if alias else name

    out = [(f"f_{f.key}", f.where.sql(alias)) for f in FLOWS]
    out += [(f"b_{b.key}", b.where.sql(alias)) for b in BEHAVIOURS]
    out += [(f.sum_of, col(f.sum_of)) for f in FLOWS if f.sum_of]
    for d in DURATIONS:
        hours = f"extract(epoch FROM ({col(d.end)} - {col(d.start)})) / 3600.0"
        out.append((f"h_{d.key}", f"CASE WHEN {d.where.sql(alias)} THEN {hours} END"))
    return list(dict.fromkeys(out))


def flow_sql() -> list[tuple[str, str]]:
    """(column, SQL aggregate) of every flow, over facts with the columns of fact_sql."""
    out = []
    for f in FLOWS:
        if f.sum_of:
            out.append((f.key, f"coalesce(sum({f.sum_of}) FILTER (WHERE f_{f.key}), 0)::int"))
        else:
            out.append((f.key, f"count(*) FILTER (WHERE f_{f.key})"))
    behaviours = ", ".join(
        f"{sql_literal(b.key)}, count(*) FILTER (WHERE b_{b.key})" for b in BEHAVIOURS
    )
    out.append(("behaviours", f"jsonb_build_object({behaviours})"))
    return out


def duration_sql() -> list[tuple[str, str]]:
    """(column, SQL aggregate) of the durations' quantiles, over facts of fact_sql (the
    hours are empty where a report does not count)."""
    return [
        (f"{d.key}_{q}_h", f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY h_{d.key})")
        for d in DURATIONS
        for q, fraction in QUANTILES.items()
    ]


def stock_interval_sql(alias: str, confirm: str, clear: str) -> list[tuple[str, str, str]]:
    """(key, condition, interval start) of every stock over status intervals named by
    `alias` (columns: status, since, and the report's own columns). A report counts at an
    instant T when the condition holds for the interval containing T and start < T."""
    out = []
    for s in STOCKS:
        cond = f"{alias}.status IN ({', '.join(sql_literal(v) for v in s.statuses)})"
        where = s.where.sql(alias)
        if where != "TRUE":
            cond += f" AND {where}"
        start = f"{alias}.since"
        if s.target:
            start += f" + {confirm if s.target == 'confirm' else clear}"
        out.append((s.key, cond, start))
    return out


def patrol_sql(alias: str = "") -> str:
    return PATROL.sql(alias)
