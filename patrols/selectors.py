"""Reads of the patrols app, scoped to the user through `houhu.accounts.scopes`.

Map layers and counts are single SQL statements (PostGIS builds the GeoJSON; the counts
are one aggregation with FILTER clauses and ordered-set aggregates for medians); nothing
here loops over report rows in Python. (The statistics compute their snapshots in their
own SQL, stats/compute.py; `report_counts` serves the workspace's live counts.)
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houhu.accounts.scopes import authored_filter, districts_for
from houhu.grid.models import Household
from houhu.lib import geojson
from houhu.lib.bbox import parse_bbox
from pledges.responsibility.selectors import responsibles_for_segment

from .errors import InvalidInput
from .models import Notification, Report, ReportEvent
from .snapping import distance_to, within_m

if TYPE_CHECKING:
    from houhu.accounts.models import User

S = Report.Status
K = Report.Kind


# --- Reports ------------------------------------------------------------------------------


def reports_for(user: User) -> QuerySet[Report]:
    """The reports a user may read: villagers their own; everyone else the reports of the
    districts they see (plus their own, wherever they wrote them)."""
    return Report.objects.filter(authored_filter(user, district="district", author="reporter"))


def parse_date(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Enter a date as YYYY-MM-DD."), field=field) from None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filter_reports(qs: QuerySet[Report], params) -> QuerySet[Report]:
    """The list/layer filters: kind, status (comma-separated), district, since, until (local
    dates, inclusive, on the time the report was written), in_zone, bbox."""
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
    return qs


def report_detail_queryset(user: User) -> QuerySet[Report]:
    return reports_for(user).select_related(
        "reporter", "district", "transformer_area", "village", "segment__line", "merged_into"
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


def report_counts(
    *,
    user: User,
    level: str = "district",
    since: dt.date | None = None,
    until: dt.date | None = None,
    district_id: int | None = None,
) -> list[dict[str, Any]]:
    """The station's counts per district / transformer area / village / station, in ONE
    aggregation. Period = local dates, inclusive.

    - tree obstacles reported (places): tree reports written in the period, not rejected;
    - tree obstacles cleared (places), self vs crew, trees removed: tree reports now cleared
      or verified whose clearing was recorded in the period;
    - construction stopped: construction reports written in the period that were stopped
      (by the villager on the spot or by the stop action), not rejected;
    - unsafe behaviours by category: behaviour reports written in the period, not rejected;
    - open hazards inside the zone: now (not a period figure);
    - hours from receipt to first confirmation / to the verified clearing (median, p90) for
      reports received in the period;
    - segments patrolled in the 30 days up to `until` (any report, incl. nothing found).
    """
    if level not in COUNT_LEVELS:
        raise InvalidInput(_("Unknown level."), field="level")
    key, name = COUNT_LEVELS[level]
    now = timezone.now()
    start = _day_start(since) if since else None
    end = _day_start(until + dt.timedelta(days=1)) if until else now

    def period(field: str) -> Q:
        q = Q(**{f"{field}__lt": end})
        return q & Q(**{f"{field}__gte": start}) if start else q

    written = period("submitted_at") & ~Q(status=S.REJECTED)
    received = period("received_at") & ~Q(status=S.REJECTED)
    tree_cleared = Q(kind=K.TREE, status__in=[S.CLEARED, S.VERIFIED]) & period("cleared_at")
    confirm_hours = EpochHours(F("confirmed_at"), F("received_at"))
    verify_hours = EpochHours(F("verified_at"), F("received_at"))
    confirmed = received & Q(confirmed_at__isnull=False)
    verified = received & Q(kind__in=Report.HAZARD_KINDS, status=S.VERIFIED)
    patrolled = (
        ~Q(status=S.REJECTED)
        & Q(segment__isnull=False)
        & Q(submitted_at__gte=end - dt.timedelta(days=30), submitted_at__lt=end)
    )
    aggregates: dict[str, Any] = {
        "tree_reported": Count("pk", filter=written & Q(kind=K.TREE)),
        "tree_cleared": Count("pk", filter=tree_cleared),
        "tree_cleared_self": Count("pk", filter=tree_cleared & Q(cleared_by="self")),
        "tree_cleared_crew": Count("pk", filter=tree_cleared & Q(cleared_by="crew")),
        "trees_removed": Sum("trees_removed", filter=tree_cleared, default=0),
        "construction_stopped": Count(
            "pk", filter=written & Q(kind=K.CONSTRUCTION, construction_stopped=True)
        ),
        "open_in_zone": Count(
            "pk",
            filter=Q(in_zone=True, status__in=Report.OPEN_STATUSES) & ~Q(kind=K.NOTHING_FOUND),
        ),
        "confirm_hours_median": Percentile(confirm_hours, 0.5, filter=confirmed),
        "confirm_hours_p90": Percentile(confirm_hours, 0.9, filter=confirmed),
        "clear_verified_hours_median": Percentile(verify_hours, 0.5, filter=verified),
        "clear_verified_hours_p90": Percentile(verify_hours, 0.9, filter=verified),
        "segments_patrolled_30d": Count("segment", distinct=True, filter=patrolled),
    }
    for value in Report.Behaviour.values:
        aggregates[f"behaviour__{value}"] = Count(
            "pk", filter=written & Q(kind=K.BEHAVIOUR, behaviour=value)
        )
    qs = Report.objects.filter(district__in=districts_for(user))
    if district_id is not None:
        qs = qs.filter(district_id=district_id)
    rows = qs.values(key, name).annotate(**aggregates).order_by(name, key)

    result = []
    for row in rows:
        out: dict[str, Any] = {"id": row.pop(key), "name": row.pop(name), "behaviours": {}}
        for field, value in row.items():
            if field.startswith("behaviour__"):
                out["behaviours"][field.removeprefix("behaviour__")] = value
            elif isinstance(value, float):
                out[field] = round(value, 2)
            else:
                out[field] = value
        result.append(out)
    return result
