"""Reads of the patrols app, scoped to the user through `houhu.accounts.scopes`.

Map layers and counts are single SQL statements (PostGIS builds the GeoJSON; the counts
are one aggregation with FILTER clauses and ordered-set aggregates for medians); nothing
here loops over report rows in Python. The figures are defined in `patrols.figures`, which
the statistics snapshots render as SQL: the live counts and the snapshots agree.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.core.exceptions import ValidationError
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    CharField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houhu.accounts.scopes import (
    Can,
    Shown,
    Whose,
    authored_filter,
    can,
    districts_for,
    personal_data,
)
from houhu.grid.geo import distance_m as distance_to
from houhu.grid.geo import within_m
from houhu.grid.models import Household
from houhu.lib import geojson
from houhu.lib.bbox import parse_bbox
from houhu.lib.dates import InLedger
from pledges.responsibility.selectors import responsibles_for_segment

from . import figures
from .errors import InvalidInput
from .models import Notification, Report, ReportEvent, ReportSighting

if TYPE_CHECKING:
    from houhu.accounts.models import User

S = Report.Status
K = Report.Kind


# --- Reports ------------------------------------------------------------------------------


def reports_for(user: User) -> QuerySet[Report]:
    """The reports a user may read: villagers their own; everyone else the reports of the
    districts they see (plus their own, wherever they wrote them)."""
    return Report.objects.filter(authored_filter(user, district="district", author="reporter"))


def my_reports(user: User, *, open_only: bool = False) -> QuerySet[Report]:
    """What this user reported ("my records"), newest first; `open_only`: still waiting for
    the station (Report.OPEN_STATUSES)."""
    qs = Report.objects.filter(reporter=user)
    if open_only:
        qs = qs.filter(status__in=Report.OPEN_STATUSES)
    # In the order of the index patrols_report_reporter; pk breaks ties, so a page boundary
    # between two reports of the same instant stays put.
    return qs.only(
        "pk", "kind", "status", "submitted_at", "received_at", "in_zone", "note", "reporter_id"
    ).order_by("-received_at", "-pk")


def open_reports_near(user: User, *, kind: str, point) -> QuerySet[Report]:
    """Open reports of this kind within PATROLS_MERGE_DISTANCE_M of a point, nearest first,
    among the grids the user sees (a villager: their own): what a villager is told before
    sending the same hazard again. ST_DWithin on the geography cast uses the GiST index
    patrols_report_geog_gist. Callers show kind, distance, age and status only: whose
    report it is, its note and photos stay with those who may read it."""
    return (
        Report.objects.filter(
            district__in=districts_for(user),
            kind=kind,
            status__in=Report.OPEN_STATUSES,
            merged_into__isnull=True,
        )
        .filter(within_m("location", PointField, point, settings.PATROLS_MERGE_DISTANCE_M))
        .annotate(d=distance_to("location", PointField, point))
        .order_by("d", "pk")
    )


def parse_date(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Enter a date as YYYY-MM-DD."), field=field) from None
    # The one bound on dates (houhu.lib.dates): year 1 or 9999 overflowed into a 500.
    try:
        InLedger(planned=True)(day)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field=field) from None
    return day


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


SEARCH_MAX_LENGTH = 100


def filter_reports(qs: QuerySet[Report], params) -> QuerySet[Report]:
    """The list/layer filters: kind, status (comma-separated), district, since, until (local
    dates, inclusive, on the time the report was written), in_zone, bbox, q (a report
    number, or words of the note)."""
    if kind := params.get("kind"):
        kinds = kind.split(",")
        if not set(kinds) <= set(K.values):
            raise InvalidInput(_("Unknown report type."), field="kind")
        qs = qs.filter(kind__in=kinds)
    if status := params.get("status"):
        statuses = status.split(",")
        if not set(statuses) <= set(S.values):
            raise InvalidInput(_("Unknown status."), field="status")
        qs = qs.filter(status__in=statuses)
    if district := params.get("district"):
        if not str(district).isdigit():
            raise InvalidInput(_("Unknown service grid."), field="district")
        qs = qs.filter(district_id=int(district))
    if since := parse_date(params.get("since"), "since"):
        qs = qs.filter(submitted_at__gte=_day_start(since))
    if until := parse_date(params.get("until"), "until"):
        qs = qs.filter(submitted_at__lt=_day_start(until + dt.timedelta(days=1)))
    in_zone = params.get("in_zone")
    if in_zone not in (None, ""):
        qs = qs.filter(in_zone=str(in_zone).lower() in ("1", "true", "yes"))
    if bbox := parse_bbox(params.get("bbox")):
        qs = qs.filter(location__intersects=bbox)
    if text := str(params.get("q") or "").strip():
        if len(text) > SEARCH_MAX_LENGTH:
            raise InvalidInput(
                _("Search for at most %(n)s characters.") % {"n": SEARCH_MAX_LENGTH}, field="q"
            )
        number = text.removeprefix("#")
        # "#123" or "123" is a report number; anything else, words of its note.
        qs = qs.filter(pk=int(number)) if number.isdigit() else qs.filter(note__icontains=text)
    return qs


def report_detail_queryset(user: User) -> QuerySet[Report]:
    # The sightings counted in the same SELECT (a correlated subquery: no join fan-out).
    sightings = (
        ReportSighting.objects.filter(report=OuterRef("pk"))
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return (
        reports_for(user)
        .select_related(
            "reporter", "district", "transformer_area", "village", "segment__line", "merged_into"
        )
        .annotate(sighting_count=Subquery(sightings, output_field=IntegerField()))
    )


def report_events(report: Report) -> QuerySet[ReportEvent]:
    return report.events.select_related("actor").order_by("at", "pk")


def merge_candidates(report: Report, user: User, limit: int = 5) -> list[dict[str, Any]]:
    """Open reports of the same kind within PATROLS_MERGE_DISTANCE_M, nearest first."""
    if report.kind == K.NOTHING_FOUND or report.status == S.REJECTED:
        return []
    open_statuses = [*Report.OPEN_STATUSES, S.CLEARED, S.STOPPED, S.PERMITTED]
    rows = (
        reports_for(user)
        .filter(kind=report.kind, status__in=open_statuses, merged_into__isnull=True)
        .exclude(pk=report.pk)
        .filter(
            within_m("location", PointField, report.location, settings.PATROLS_MERGE_DISTANCE_M)
        )
        .annotate(d=distance_to("location", PointField, report.location))
        .order_by("d", "pk")
        .values("id", "status", "submitted_at", "d")[:limit]
    )
    return [
        {
            "id": r["id"],
            "status": r["status"],
            "status_label": str(S(r["status"]).label),
            "submitted_at": r["submitted_at"],
            "distance_m": round(r["d"].m, 1),
        }
        for r in rows
    ]


def responsibles(report: Report) -> list[dict[str, Any]]:
    """The people who answer for the report's segment (我包段), the patch around it (你包片)
    and the front door of the nearest household (包门前), from the pledges app."""
    if report.segment_id is None:
        return []
    household = (
        Household.objects.filter(within_m("location", PointField, report.location, 100.0))
        .annotate(d=distance_to("location", PointField, report.location))
        .order_by("d", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    rows = responsibles_for_segment(
        segment_id=report.segment_id, household_id=household, on=timezone.localdate()
    )
    keys = ("scope", "user_id", "name", "phone")
    return [{k: row.get(k) for k in keys} for row in rows]


def report_contacts(report: Report, user: User) -> list[dict[str, Any]]:
    """`responsibles` for a reader whose work is to call them (scopes.PERSONAL_DATA: grid
    managers and staff); nobody for the others: the nearest household is chosen by where
    the report is put, so a villager could otherwise learn any neighbour's phone."""
    if personal_data(user, Whose.REPORT_CONTACTS) is not Shown.FULL:
        return []
    return responsibles(report)


def work_queue(user: User, *, now: dt.datetime | None = None) -> QuerySet[Report]:
    """New, confirmed and reopened reports of the user's area (houhu.accounts.scopes), most
    pressing first: overdue ones (the longest overdue first), then urgent ones (a hazard
    inside the protection zone), then by the time left, then the oldest.

    `due_at` is the clock of patrols.figures (the confirmation target of the station, or
    the clearing target of the kind), so an item marked overdue here is one the
    workspace's and the dashboard's "overdue" counts count. One SQL query per page."""
    now = now or timezone.now()
    if not can(user, Can.STAFF_PAGES):  # a villager's phone has no queue of others' reports
        return Report.objects.none()
    qs = Report.objects.filter(
        district__in=districts_for(user), status__in=list(figures.ON_THE_CLOCK)
    )
    return (
        qs.annotate(**figures.status_at_annotations(now, now))
        .annotate(**figures.stock_annotations())
        .annotate(due_at=figures.due_annotation())
        .annotate(
            overdue=ExpressionWrapper(Q(due_at__lt=now), output_field=BooleanField()),
            urgent=ExpressionWrapper(figures.URGENT.q(), output_field=BooleanField()),
            district_name=F("district__name"),
            village_name=F("village__name"),
        )
        .order_by("-overdue", "-urgent", "due_at", "received_at", "pk")
    )


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("report__district", "event")


# --- GeoJSON layer ------------------------------------------------------------------------


def _label(field: str, choices) -> Case:
    # Labels in the request's language, written by the database into each feature.
    return Case(
        *[When(**{field: value}, then=Value(str(label))) for value, label in choices.choices],
        default=Value(""),
        output_field=CharField(),
    )


def reports_geojson(qs: QuerySet[Report]) -> str:
    """A FeatureCollection of the given (scoped, filtered) reports, built in PostGIS."""
    return geojson.from_queryset(
        qs.values(
        "id", "kind", "status", "in_zone", "distance_m", "submitted_at", "district",
        district_name=F("district__name"),
        kind_label=_label("kind", K),
        status_label=_label("status", S),
        geom=F("location"),
        )
    )  # fmt: skip


# --- Counts -------------------------------------------------------------------------------


class Percentile(Aggregate):
    """percentile_cont(fraction) WITHIN GROUP (ORDER BY expr): Django has no ordered-set
    aggregate for PostgreSQL; FILTER (WHERE …) still applies."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


class EpochHours(Func):
    """Hours between two timestamps (EXTRACT(EPOCH …) / 3600)."""

    template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0)"
    arg_joiner = " - "
    output_field = FloatField()


COUNT_LEVELS = {
    "district": ("district_id", "district__name"),
    "transformer_area": ("transformer_area_id", "transformer_area__name"),
    "village": ("village_id", "village__name"),
    "station": ("district__station_id", "district__station__name"),
}


def period_bounds(
    since: dt.date | None, until: dt.date | None, now: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime]:
    """[start, as-of) of a period of local dates (inclusive): the as-of instant is the end
    of `until`, or now while the period is running (patrols.figures)."""
    start = _day_start(since) if since else None
    end = _day_start(until + dt.timedelta(days=1)) if until else now
    return start, min(end, now)


def report_counts(
    *,
    user: User,
    level: str = "district",
    since: dt.date | None = None,
    until: dt.date | None = None,
    district_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The live figures per district / transformer area / village / station, in ONE
    aggregation, for the local dates `since`..`until` (inclusive; open-ended if omitted).

    Every figure is defined in `patrols.figures` (the snapshots read the same
    definitions): flows over the reports received in the period, stocks (open, overdue) at
    the period's end or now, segments patrolled in the 30 days before that instant, and the
    hours to confirmation and to a verified clearing (median, 90th percentile).
    """
    if level not in COUNT_LEVELS:
        raise InvalidInput(_("Unknown level."), field="level")
    key, name = COUNT_LEVELS[level]
    now = now or timezone.now()
    start, as_of = period_bounds(since, until, now)

    received = Q(**{f"{figures.PERIOD_FIELD}__lt": as_of})
    if start:
        received &= Q(**{f"{figures.PERIOD_FIELD}__gte": start})
    aggregates: dict[str, Any] = {
        **figures.flow_aggregates(received),
        **figures.stock_aggregates(as_of),
        figures.PATROLLED: figures.patrolled_aggregate(as_of),
    }
    for d in figures.DURATIONS:
        hours = EpochHours(F(d.end), F(d.start))
        for q, fraction in figures.QUANTILES.items():
            aggregates[f"{d.key}_{q}_h"] = Percentile(
                hours, fraction, filter=received & d.where.q()
            )
    qs = Report.objects.filter(district__in=districts_for(user))
    if district_id is not None:
        qs = qs.filter(district_id=district_id)
    qs = qs.annotate(**figures.status_at_annotations(as_of, now)).annotate(
        **figures.stock_annotations()
    )
    rows = qs.values(key, name).annotate(**aggregates).order_by(name, key)

    result = []
    for row in rows:
        out: dict[str, Any] = {
            "id": row.pop(key),
            "name": row.pop(name),
            "as_of": as_of,
            "behaviours": {},
        }
        for field, value in row.items():
            if field.startswith("behaviour__"):
                out["behaviours"][field.removeprefix("behaviour__")] = value
            elif isinstance(value, float):
                out[field] = round(value, 2)
            else:
                out[field] = value
        result.append(out)
    return result
