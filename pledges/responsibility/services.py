"""Writes of responsibility (你包片、我包段、家家户户包门前): giving a patch or segments to a
person, ending it, and the households' front doors (derived from the map, then confirmed
or adjusted by staff).

Each service is keyword-only, runs in one transaction, validates with `full_clean()`, raises
a translated domain error (`pledges.errors`) for a broken rule (nothing is changed then),
and appends an immutable event row per change. Who may act is decided by
`houhu.accounts.scopes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from houhu.accounts import scopes
from houhu.accounts.scopes import Can, districts_for
from houhu.grid.geo import distance_m
from houhu.grid.models import District, Household, Segment, Village

from .. import errors
from ..common import (
    full_clean,
    ledger_changed_in,
    now,
    require_district,
    today,
)
from .models import Assignment, AssignmentEvent

if TYPE_CHECKING:
    from houhu.accounts.models import User


def _assignment_event(
    assignment: Assignment, by: User | None, action: str, frm: str = "", to: str = "", note=""
) -> None:
    AssignmentEvent.objects.create(
        assignment=assignment, by=by, action=action, from_state=frm, to_state=to, note=note
    )


def _person_fields(*, user: User | None, person_name: str, person_phone: str) -> dict[str, Any]:
    person_name = (person_name or "").strip()
    person_phone = (person_phone or "").strip()
    if user is None and not person_name:
        raise errors.BadInput(_("Choose a person: an account, or a name and phone number."))
    if user is not None and not user.is_active:
        raise errors.BadInput(_("This account is disabled."))
    return {"user": user, "person_name": person_name, "person_phone": person_phone}


def _check_person_in_station(user: User | None, station_id: int) -> None:
    """The responsible person belongs to the grid's station: its staff, or a villager of
    one of its households (a leader or another station's staff cannot hold a line)."""
    if user is not None and not scopes.may_hold_responsibility(user, station_id):
        raise errors.BadInput(_("This person does not belong to the station of this line."))


def _check_dates(valid_from: dt.date, valid_until: dt.date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise errors.BadInput(_("The end date is before the start date."))


@transaction.atomic
def assign_segments(
    *,
    segments: Iterable[Segment],
    user: User | None = None,
    person_name: str = "",
    person_phone: str = "",
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    is_primary: bool = True,
    replace: bool = False,
    note: str = "",
    by: User,
) -> list[Assignment]:
    """我包段: give one or more segments to a person (account or named line guard).

    With `replace`, a current open-ended primary responsible is ended the day before (or
    struck out if it starts the same day); otherwise an overlap is refused.
    """
    segments = list(segments)
    if not segments:
        raise errors.BadInput(_("Select at least one line segment."))
    valid_from = valid_from or today()
    _check_dates(valid_from, valid_until)
    person = _person_fields(user=user, person_name=person_name, person_phone=person_phone)
    for district_id in {s.district_id for s in segments}:
        require_district(by, district_id)
    for station_id in set(
        District.objects.filter(pk__in={s.district_id for s in segments}).values_list(
            "station_id", flat=True
        )
    ):
        _check_person_in_station(user, station_id)
    # Lock the segments (in id order, to avoid deadlocks between two assigners).
    ids = sorted(s.pk for s in segments)
    locked = {s.pk: s for s in Segment.objects.select_for_update().filter(pk__in=ids)}
    created = []
    for segment_id in ids:
        segment = locked[segment_id]
        if is_primary:
            clashes = Assignment.objects.filter(
                scope=Assignment.Scope.SEGMENT,
                segment=segment,
                is_primary=True,
                cancelled_at__isnull=True,
            ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
            if valid_until is not None:
                clashes = clashes.filter(valid_from__lte=valid_until)
            for clash in clashes:
                if replace and clash.valid_until is None:
                    _end_or_cancel(clash, before=valid_from, by=by, note=note)
                else:
                    raise errors.AssignmentConflict(
                        _(
                            "Segment %(code)s already has a primary responsible "
                            "(%(person)s) from %(start)s."
                        )
                        % {
                            "code": segment.code,
                            "person": clash.person_label,
                            "start": clash.valid_from.isoformat(),
                        }
                    )
        assignment = Assignment(
            scope=Assignment.Scope.SEGMENT,
            segment=segment,
            district_id=segment.district_id,
            valid_from=valid_from,
            valid_until=valid_until,
            is_primary=is_primary,
            note=note,
            created_by=by,
            **person,
        )
        full_clean(assignment)
        try:
            with transaction.atomic():
                assignment.save()
        except IntegrityError as exc:  # the exclusion constraint, under a race
            raise errors.AssignmentConflict() from exc
        _assignment_event(assignment, by, "assigned", note=note)
        created.append(assignment)
    ledger_changed_in((a.district_id for a in created), Assignment)
    return created


def _end_or_cancel(assignment: Assignment, *, before: dt.date, by: User, note: str) -> None:
    last_day = before - dt.timedelta(days=1)
    if last_day < assignment.valid_from:
        assignment.cancelled_at = now()
        assignment.save(update_fields=["cancelled_at"])
        _assignment_event(assignment, by, "cancelled", note=note or _("replaced"))
    else:
        assignment.valid_until = last_day
        assignment.save(update_fields=["valid_until"])
        _assignment_event(assignment, by, "ended", to=last_day.isoformat(), note=note)


def _as_polygon(polygon: Polygon | str | dict) -> Polygon:
    try:
        if isinstance(polygon, dict):
            import json

            polygon = GEOSGeometry(json.dumps(polygon), srid=4326)
        elif isinstance(polygon, str):
            polygon = GEOSGeometry(polygon, srid=4326)
    except (ValueError, TypeError) as exc:
        raise errors.BadGeometry() from exc
    except Exception as exc:  # GEOS/GDAL raise their own exception types for bad text
        raise errors.BadGeometry() from exc
    if not isinstance(polygon, Polygon) or polygon.empty:
        raise errors.BadGeometry()
    if polygon.srid is None:
        polygon.srid = 4326
    xmin, ymin, xmax, ymax = polygon.extent
    if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        raise errors.BadGeometry(_("A coordinate of the drawn area is impossible."))
    if not polygon.valid:
        raise errors.BadGeometry(_("The drawn area crosses itself; draw it again."))
    return polygon


# A patch is a named person's promise to watch an area, filed under the grid whose manager
# answers for it. Drawn by hand on a map, its edge overshoots the grid's boundary by a few
# metres: up to this share of its area may lie outside. Beyond that it is REFUSED, not
# clipped: clipping would silently change the area the person agreed to watch (and can cut
# it into pieces one polygon cannot hold), and the part in another grid is for that grid's
# manager to give. The manager redraws it, told how much lay outside.
PATCH_OUTSIDE_TOLERANCE = 0.05


def _check_within_grid(polygon: Polygon, district: District) -> None:
    # Shares of areas in degrees: within one small grid the distortion cancels out.
    outside = polygon.difference(district.boundary).area / polygon.area
    if outside > PATCH_OUTSIDE_TOLERANCE:
        raise errors.BadGeometry(
            _(
                "%(share)s%% of the drawn area lies outside the service grid %(grid)s: "
                "draw the patch within the grid."
            ),
            field="polygon",
            share=round(outside * 100),
            grid=district.name,
        )


@transaction.atomic
def assign_patch(
    *,
    polygon: Polygon | str | dict,
    user: User | None = None,
    person_name: str = "",
    person_phone: str = "",
    district: District | None = None,
    village: Village | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    note: str = "",
    by: User,
) -> Assignment:
    """你包片: an area (usually part of a village) given to a staff member or village cadre.

    The district, unless given, is the one in the user's scope that the patch overlaps most.
    """
    polygon = _as_polygon(polygon)
    valid_from = valid_from or today()
    _check_dates(valid_from, valid_until)
    person = _person_fields(user=user, person_name=person_name, person_phone=person_phone)
    if district is None:
        from django.contrib.gis.db.models.functions import Area, Intersection

        district = (
            districts_for(by)
            .filter(boundary__intersects=polygon)
            .annotate(overlap=Area(Intersection("boundary", polygon)))
            .order_by("-overlap")
            .first()
        )
        if district is None:
            raise errors.BadGeometry(_("The drawn area is outside your service grids."))
    elif not district.boundary.intersects(polygon):
        raise errors.BadGeometry(_("The drawn area is outside the chosen service grid."))
    require_district(by, district.pk)
    _check_within_grid(polygon, district)
    _check_person_in_station(user, district.station_id)
    assignment = Assignment(
        scope=Assignment.Scope.PATCH,
        patch=polygon,
        district=district,
        village=village,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note,
        created_by=by,
        **person,
    )
    full_clean(assignment)
    assignment.save()
    _assignment_event(assignment, by, "assigned", note=note)
    return assignment


@transaction.atomic
def end_assignment(
    *, assignment: Assignment, by: User, until: dt.date | None = None, note: str = ""
) -> Assignment:
    """End a responsibility on a date (default today, the last day); the row stays as
    history. Ending before it began strikes it out instead."""
    require_district(by, assignment.district_id)
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.cancelled_at is not None:
        raise errors.InvalidTransition(_("This assignment was already struck out."))
    until = until or today()
    if assignment.valid_until is not None and assignment.valid_until <= until:
        raise errors.InvalidTransition(_("This assignment has already ended."))
    if until < assignment.valid_from:
        assignment.cancelled_at = now()
        assignment.save(update_fields=["cancelled_at"])
        _assignment_event(assignment, by, "cancelled", note=note)
        return assignment
    frm = assignment.valid_until.isoformat() if assignment.valid_until else ""
    assignment.valid_until = until
    assignment.save(update_fields=["valid_until"])
    _assignment_event(assignment, by, "ended", frm=frm, to=until.isoformat(), note=note)
    ledger_changed_in([assignment.district_id], Assignment)
    return assignment


# The widest search a caller may ask for (the API's max_distance_m reads it too).
FRONT_DOOR_SEARCH_LIMIT_M = 1000.0


def front_door_max_distance_m() -> float:
    """How far a household's front door may be: the one setting, which the assignment
    page's text also shows."""
    return float(settings.PLEDGES_FRONT_DOOR_MAX_DISTANCE_M)


# For each household, its nearest segment within N metres (LATERAL + KNN on the geography
# GiST index: the cast must carry the index's typmod, geography(LineString, 4326), or
# PostgreSQL scans every segment per household: 25x slower when measured), upserted as a
# *proposed* front door. Confirmed or adjusted front doors are never touched, and the
# partial unique index on open front doors makes a re-run idempotent.
_DERIVE_SQL = """
WITH nearest AS (
    SELECT h.id AS household_id, h.village_id, ta.district_id, s.id AS segment_id,
           ST_Distance(h.location::geography, s.geom::geography(LineString, 4326)) AS distance_m
    FROM grid_household h
    JOIN grid_transformerarea ta ON ta.id = h.transformer_area_id
    CROSS JOIN LATERAL (
        SELECT s.id, s.geom FROM grid_segment s
        WHERE ST_DWithin(s.geom::geography(LineString, 4326), h.location::geography, %(max_m)s)
        ORDER BY s.geom::geography(LineString, 4326) <-> h.location::geography, s.id
        LIMIT 1
    ) s
    WHERE h.id = ANY(%(household_ids)s)
), up AS (
    INSERT INTO pledges_assignment AS a (
        scope, district_id, village_id, household_id, segment_id, distance_m,
        front_door_state, valid_from, is_primary, person_name, person_phone, note,
        created_at, created_by_id
    )
    SELECT 'front_door', n.district_id, n.village_id, n.household_id, n.segment_id,
           round(n.distance_m::numeric, 2)::float8, 'proposed', %(today)s, true, '', '', '',
           %(now)s, %(by)s
    FROM nearest n
    ON CONFLICT (household_id)
        WHERE scope = 'front_door' AND valid_until IS NULL AND cancelled_at IS NULL
    DO UPDATE SET segment_id = EXCLUDED.segment_id, distance_m = EXCLUDED.distance_m
        WHERE a.front_door_state = 'proposed'
          AND (a.segment_id IS DISTINCT FROM EXCLUDED.segment_id
               OR a.distance_m IS DISTINCT FROM EXCLUDED.distance_m)
    RETURNING a.id, (xmax = 0) AS inserted
), ev AS (
    INSERT INTO pledges_assignmentevent (assignment_id, at, by_id, action, from_state,
                                         to_state, note)
    SELECT up.id, %(now)s, %(by)s,
           CASE WHEN up.inserted THEN 'derived' ELSE 're-derived' END, '', 'proposed', ''
    FROM up
    RETURNING 1
)
SELECT (SELECT count(*) FROM nearest),
       (SELECT count(*) FROM up WHERE inserted),
       (SELECT count(*) FROM up WHERE NOT inserted),
       (SELECT count(*) FROM ev)
"""


@dataclass
class DeriveCounts:
    households: int = 0
    with_segment: int = 0
    proposed: int = 0
    updated: int = 0
    too_far: int = 0

    def add(self, other: DeriveCounts) -> DeriveCounts:
        for field in ("households", "with_segment", "proposed", "updated", "too_far"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        return self

    def as_dict(self) -> dict[str, int]:
        return {
            "households": self.households,
            "with_segment": self.with_segment,
            "proposed": self.proposed,
            "updated": self.updated,
            "too_far": self.too_far,
        }


def front_door_household_ids(*, village: Village, by: User) -> list[int]:
    """The village's active households the user may act on, in id order (batches)."""
    if not scopes.can(by, Can.ACT_IN_DISTRICTS):
        return []
    return list(
        Household.objects.filter(
            village=village,
            is_active=True,
            transformer_area__district__in=districts_for(by),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def derive_front_doors(
    *,
    village: Village,
    by: User,
    max_distance_m: float | None = None,
    household_ids: Sequence[int] | None = None,
) -> DeriveCounts:
    """家家户户包门前: propose each household's front door, the nearest segment within
    `max_distance_m` (PLEDGES_FRONT_DOOR_MAX_DISTANCE_M by default), in one SQL statement.

    Only households in districts where `by` may act; `household_ids` narrows to a batch
    (the Celery task's progress). Returns counts; re-running changes nothing unless the
    lines moved.
    """
    allowed = front_door_household_ids(village=village, by=by)
    if not allowed:
        raise errors.NotAllowed(_("You may not assign front doors in this village."))
    if household_ids is not None:
        wanted = set(household_ids)
        allowed = [pk for pk in allowed if pk in wanted]
    max_m = max_distance_m if max_distance_m is not None else front_door_max_distance_m()
    if not 0 < max_m <= FRONT_DOOR_SEARCH_LIMIT_M:
        raise errors.BadInput(
            _("The search distance must be between 0 and %(max)s metres."),
            field="max_distance_m",
            max=f"{FRONT_DOOR_SEARCH_LIMIT_M:g}",
        )
    if not allowed:
        return DeriveCounts()
    with connection.cursor() as cur:
        cur.execute(
            _DERIVE_SQL,
            {
                "max_m": float(max_m),
                "household_ids": allowed,
                "today": today(),
                "now": now(),
                "by": by.pk,
            },
        )
        with_segment, proposed, updated, _events = cur.fetchone()
    return DeriveCounts(
        households=len(allowed),
        with_segment=with_segment,
        proposed=proposed,
        updated=updated,
        too_far=len(allowed) - with_segment,
    )


def _lock_front_door(assignment: Assignment, by: User) -> Assignment:
    require_district(by, assignment.district_id)
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.scope != Assignment.Scope.FRONT_DOOR:
        raise errors.InvalidTransition(_("This is not a front-door assignment."))
    if locked.cancelled_at is not None or (
        locked.valid_until is not None and locked.valid_until < today()
    ):
        raise errors.InvalidTransition(_("This front door is no longer in force."))
    return locked


@transaction.atomic
def confirm_front_door(*, assignment: Assignment, by: User, note: str = "") -> Assignment:
    """Staff confirm a proposed front door after checking it on the map or on site."""
    assignment = _lock_front_door(assignment, by)
    if assignment.front_door_state != Assignment.FrontDoorState.PROPOSED:
        raise errors.InvalidTransition(_("Only a proposed front door can be confirmed."))
    assignment.front_door_state = Assignment.FrontDoorState.CONFIRMED
    assignment.save(update_fields=["front_door_state"])
    _assignment_event(
        assignment,
        by,
        "confirmed",
        Assignment.FrontDoorState.PROPOSED,
        Assignment.FrontDoorState.CONFIRMED,
        note,
    )
    ledger_changed_in([assignment.district_id], Assignment)
    return assignment


@transaction.atomic
def adjust_front_door(
    *, assignment: Assignment, segment: Segment, by: User, note: str = ""
) -> Assignment:
    """Staff move a household's front door to another segment (distance recomputed)."""
    assignment = _lock_front_door(assignment, by)
    require_district(by, segment.district_id)
    household = assignment.household
    distance = (
        Segment.objects.filter(pk=segment.pk)
        .annotate(d=distance_m("geom", models.LineStringField, household.location))
        .values_list("d", flat=True)
        .get()
    )
    frm_state = assignment.front_door_state
    frm_segment = assignment.segment.code
    assignment.segment = segment
    assignment.distance_m = round(distance.m, 2)
    assignment.front_door_state = Assignment.FrontDoorState.ADJUSTED
    assignment.save(update_fields=["segment", "distance_m", "front_door_state"])
    _assignment_event(
        assignment,
        by,
        "adjusted",
        frm_state,
        Assignment.FrontDoorState.ADJUSTED,
        note or f"{frm_segment} → {segment.code}",
    )
    ledger_changed_in([assignment.district_id], Assignment)
    return assignment
