"""Reads of responsibility (patch, segment, front door) and of coverage, scoped to the
user through `houhu.accounts.scopes`.

Every figure is one SQL statement (annotate / correlated subqueries / PostGIS); nothing
loops over household or segment rows in Python. Metres: `houhu.grid.geo` (geography cast).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib.gis.db import models as gis_models
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from houhu.accounts.scopes import Whose, districts_for, name_sql, phone_sql
from houhu.grid.geo import length_m
from houhu.grid.models import District, Household, Segment, Station, TransformerArea, Village
from houhu.lib import geojson
from houhu.lib.sql import SubqueryCount, SubquerySum

from .. import figures
from ..compact.selectors import active_pledge_exists, compact_in_force, households_for
from .models import Assignment

if TYPE_CHECKING:
    from houhu.accounts.models import User


COVERAGE_LEVELS = ("village", "transformer_area", "district", "station")


def _today() -> dt.date:
    return timezone.localdate()


def active_on(on: dt.date | None = None, prefix: str = "") -> Q:
    """Assignments in force on a date (default today): pledges.figures says what that is."""
    return figures.assignment_in_force(on or _today(), prefix)


def segments_for(user: User) -> QuerySet[Segment]:
    return Segment.objects.filter(district__in=districts_for(user))


def assignments_for(user: User) -> QuerySet[Assignment]:
    return Assignment.objects.filter(district__in=districts_for(user))


def _segment_responsible_q(on: dt.date | None) -> Q:
    """A segment "has a responsible" when someone holds it (我包段). A patch (你包片) is an
    area duty on top and does not count: every metre of line needs its own person, and
    the statistics app (stats/compute.py) reads the tables the same way."""
    return Q(
        Exists(
            Assignment.objects.filter(
                active_on(on), scope=Assignment.Scope.SEGMENT, segment=OuterRef("pk")
            )
        )
    )


def _in_patch(on: dt.date | None) -> Exists:
    return Exists(
        Assignment.objects.filter(
            active_on(on), scope=Assignment.Scope.PATCH, patch__intersects=OuterRef("geom")
        )
    )


def unassigned_segments(
    *,
    user: User,
    village: Village | int | None = None,
    district: District | int | None = None,
    on: dt.date | None = None,
) -> QuerySet[Segment]:
    """Segments in scope nobody holds (no active segment assignment); `in_patch` tells
    whether a patch at least covers them.

    A segment belongs to a village when it lies in a transformer area serving the village.
    """
    qs = segments_for(user).exclude(_segment_responsible_q(on))
    if village is not None:
        qs = qs.filter(
            transformer_area__in=Household.objects.filter(village=village).values(
                "transformer_area"
            )
        )
    if district is not None:
        qs = qs.filter(district=district)
    return (
        # Metres as a plain number (a Distance object broke the API's FloatField, a 500).
        qs.annotate(
            length_m=Cast(length_m("geom"), output_field=FloatField()), in_patch=_in_patch(on)
        )
        .select_related("line", "district", "transformer_area")
        .order_by("line__code", "seq")
    )


def _person(assignment: Assignment) -> tuple[int | None, str, str]:
    if assignment.user_id:
        user = assignment.user
        name = user.display_name or user.get_full_name() or user.username
        return user.pk, name, user.phone or assignment.person_phone
    return None, assignment.person_name, assignment.person_phone


def responsibles_for_segment(
    *, segment_id: int, household_id: int | None = None, on: dt.date | None = None
) -> list[dict[str, Any]]:
    """Who answers for a segment on a date (for the patrols app's dispatch).

    Rows, primary segment responsibles first: the segment's assignees (我包段), the patches
    containing it (你包片), and — when `household_id` is given and that household's front
    door is this segment — the household (包门前). Keys: scope, user_id, name, phone,
    plus assignment_id and is_primary. Not scoped: the caller already holds the segment.
    """
    segment = Segment.objects.filter(pk=segment_id).only("geom").first()
    if segment is None:
        return []
    base = Assignment.objects.filter(active_on(on)).select_related("user", "household")
    rows = list(
        base.filter(scope=Assignment.Scope.SEGMENT, segment_id=segment_id).order_by(
            "-is_primary", "valid_from", "pk"
        )
    )
    rows += list(
        base.filter(scope=Assignment.Scope.PATCH, patch__intersects=segment.geom).order_by(
            "-is_primary", "valid_from", "pk"
        )
    )
    if household_id is not None:
        rows += list(
            base.filter(
                scope=Assignment.Scope.FRONT_DOOR,
                segment_id=segment_id,
                household_id=household_id,
            )
        )
    result = []
    for a in rows:
        if a.scope == Assignment.Scope.FRONT_DOOR:
            account = a.household.accounts.values_list("pk", flat=True)  # its villager
            user_id, name, phone = account.first(), a.household.head_name, a.household.phone
        else:
            user_id, name, phone = _person(a)
        result.append(
            {
                "scope": a.scope,
                "user_id": user_id,
                "name": name,
                "phone": phone,
                "assignment_id": a.pk,
                "is_primary": a.is_primary,
            }
        )
    return result


def villager_responsibilities(*, user: User, on: dt.date | None = None) -> dict[str, Any]:
    """A person's patches, segments and (for a villager) their household's front door, with
    geometry, and the compact version in force for their village.

    Assignments recorded by name and phone (no account at the time) are matched on the
    account's phone number.
    """
    base = Assignment.objects.filter(active_on(on)).filter(_mine_q(user))
    patches = list(base.filter(scope=Assignment.Scope.PATCH).order_by("valid_from", "pk"))
    segments = list(
        base.filter(scope=Assignment.Scope.SEGMENT)
        .select_related("segment__line")
        .annotate(length_m=length_m("segment__geom"))
        .order_by("segment__line__code", "segment__seq")
    )
    front_door = None
    version = None
    household = None
    if user.household_id:
        household = Household.objects.select_related("village").get(pk=user.household_id)
        front_door = (
            Assignment.objects.filter(
                active_on(on), scope=Assignment.Scope.FRONT_DOOR, household_id=user.household_id
            )
            .select_related("segment__line")
            .first()
        )
        version = compact_in_force(village=household.village, on=on)
    return {
        "household": household,
        "patches": patches,
        "segments": segments,
        "front_door": front_door,
        "version": version,
    }


def _mine_q(user: User) -> Q:
    """Assignments held by this person: by account, or recorded by name and phone before
    they had one (matched on the account's phone number)."""
    mine = Q(user=user)
    if user.phone:
        mine |= Q(user__isnull=True, person_phone=user.phone)
    return mine


_MINE_COLUMNS = (
    "u.kind AS scope, u.aid AS assignment_id, u.lbl AS label, u.dist AS distance_m, "
    "u.st AS state, u.g AS geom"
)


def villager_responsibilities_geojson(*, user: User, on: dt.date | None = None) -> str:
    """One person's patches, segments, front door and home as a FeatureCollection (the
    project's one builder, in PostGIS). Properties: scope (patch, segment, front_door,
    home), assignment_id, label, distance_m and state (front door only)."""
    active = Assignment.objects.filter(active_on(on))

    # The same columns in the same order and types in every part of the UNION (a bare NULL
    # would be typed text); renamed below (an annotation may not take a field's name).
    def part(qs: QuerySet, n: int, *, kind, label, geom, dist=None, state=None) -> QuerySet:
        return qs.order_by().values(
            part=Value(n),
            kind=kind,
            aid=F("pk") if qs.model is Assignment else Cast(Value(None), IntegerField()),
            lbl=label,
            dist=dist if dist is not None else Cast(Value(None), gis_models.FloatField()),
            st=state if state is not None else Cast(Value(None), gis_models.TextField()),
            g=geom,
        )

    geometry = gis_models.GeometryField(srid=4326)
    parts = [
        part(
            active.filter(_mine_q(user), scope=Assignment.Scope.PATCH),
            1,
            kind=F("scope"),
            label=F("note"),
            geom=Cast("patch", geometry),
        ),
        part(
            active.filter(_mine_q(user), scope=Assignment.Scope.SEGMENT),
            2,
            kind=F("scope"),
            label=F("segment__code"),
            geom=Cast("segment__geom", geometry),
        ),
    ]
    if user.household_id:
        parts += [
            part(
                active.filter(scope=Assignment.Scope.FRONT_DOOR, household_id=user.household_id),
                3, kind=F("scope"), label=F("segment__code"),
                geom=Cast("segment__geom", geometry),
                dist=F("distance_m"), state=F("front_door_state"),
            ),
            part(
                Household.objects.filter(pk=user.household_id), 4,
                kind=Value("home"), label=F("head_name"), geom=Cast("location", geometry),
            ),
        ]  # fmt: skip
    union = parts[0].union(*parts[1:], all=True)
    sql, params = union.query.sql_with_params()
    # Django's compiled SQL inside, and fixed column names around it.
    select = (
        f"SELECT row_number() OVER (ORDER BY u.part, u.aid) AS id, {_MINE_COLUMNS} FROM ({sql}) u"  # noqa: S608
    )
    return geojson.from_sql(select, params)


def _wrap_sql(qs: QuerySet, select: str) -> tuple[str, tuple]:
    sql, params = qs.query.sql_with_params()
    # The inner SQL is Django's own compiled query; only fixed column names are added.
    return f"SELECT {select} FROM ({sql}) t", params  # noqa: S608


def coverage(*, level: str, user: User, on: dt.date | None = None) -> list[dict[str, Any]]:
    """Pledge and responsibility coverage per village / transformer area / district / station.

    One SQL statement: correlated subqueries per group, rates divided in SQL. Rows carry
    id, code, name, households, signed, pledge_rate, line_length_m, covered_length_m,
    responsibility_rate, front_doors_confirmed (confirmed or adjusted front doors).
    The figures are defined in `pledges.figures` (the snapshots use the same definitions):
    `signed` = households signed at the end of the day `on` (now, for today or no date),
    `covered` = segments with a segment assignment in force on `on`. A village's lines are
    those of the transformer areas serving it.
    """
    if level not in COVERAGE_LEVELS:
        raise ValueError(f"level must be one of {COVERAGE_LEVELS}")
    now = timezone.now()
    signed_at = (
        min(now, timezone.make_aware(dt.datetime.combine(on + dt.timedelta(days=1), dt.time())))
        if on
        else now
    )
    hh = households_for(user).filter(is_active=True)
    segs = segments_for(user)
    if level == "village":
        groups = Village.objects.filter(pk__in=hh.values("village"))
        hh_g = hh.filter(village=OuterRef("pk"))
        segs_g = segs.filter(
            transformer_area__in=Household.objects.filter(village=OuterRef(OuterRef("pk"))).values(
                "transformer_area"
            )
        )
    elif level == "transformer_area":
        groups = TransformerArea.objects.filter(district__in=districts_for(user))
        hh_g = hh.filter(transformer_area=OuterRef("pk"))
        segs_g = segs.filter(transformer_area=OuterRef("pk"))
    elif level == "district":
        groups = districts_for(user)
        hh_g = hh.filter(transformer_area__district=OuterRef("pk"))
        segs_g = segs.filter(district=OuterRef("pk"))
    else:
        groups = Station.objects.filter(pk__in=districts_for(user).values("station"))
        hh_g = hh.filter(transformer_area__district__station=OuterRef("pk"))
        segs_g = segs.filter(district__station=OuterRef("pk"))
    # Subqueries feed count/sum only: drop the models' default ordering (a sort per group).
    hh_g, segs_g = hh_g.order_by(), segs_g.order_by()
    confirmed_fd = Exists(
        Assignment.objects.filter(
            active_on(on),
            figures.FRONT_DOOR_CONFIRMED.q(),
            scope=Assignment.Scope.FRONT_DOOR,
            household=OuterRef("pk"),
        )
    )
    qs = (
        groups.order_by("code")
        .annotate(
            # `c_` prefixes: "households" is a reverse relation name on Village.
            c_households=SubqueryCount(hh_g.values("pk")),
            c_signed=SubqueryCount(hh_g.filter(figures.household_signed(signed_at)).values("pk")),
            c_front_doors=SubqueryCount(hh_g.filter(confirmed_fd).values("pk")),
            c_length=SubquerySum(
                segs_g.annotate(len_m=length_m("geom")).values("len_m"), column="len_m"
            ),
            c_covered=SubquerySum(
                segs_g.filter(_segment_responsible_q(on))
                .annotate(len_m=length_m("geom"))
                .values("len_m"),
                column="len_m",
            ),
        )
        .values(
            "id",
            "code",
            "name",
            "c_households",
            "c_signed",
            "c_front_doors",
            "c_length",
            "c_covered",
        )
    )
    # The rates' terms under this query's own column names.
    columns = {
        "households_signed": "t.c_signed",
        "households": "t.c_households",
        "covered_length_m": "COALESCE(t.c_covered, 0)",
        "line_length_m": "t.c_length",
        "front_doors_confirmed": "t.c_front_doors",
    }
    sql, params = _wrap_sql(
        qs,
        "t.id, t.code, t.name, t.c_households AS households, t.c_signed AS signed, "
        "t.c_front_doors AS front_doors_confirmed, "
        # Metres to 0.1 m and rates to 4 decimals: finer is noise for a survey of lines.
        "round(COALESCE(t.c_length, 0)::numeric, 1)::float AS line_length_m, "
        "round(COALESCE(t.c_covered, 0)::numeric, 1)::float AS covered_length_m, "
        + ", ".join(
            f"round(({rate.sql(columns)})::numeric, 4)::float AS {rate.key}"
            for rate in (figures.PLEDGE_RATE, figures.RESPONSIBILITY_RATE, figures.FRONT_DOOR_RATE)
        ),
    )
    with connection.cursor() as cur:
        cur.execute(sql, params)
        columns = [c.name for c in cur.description]
        return [{"level": level, **dict(zip(columns, row, strict=True))} for row in cur.fetchall()]


def _feature_collection(qs: QuerySet, columns: list[str]) -> str:
    return geojson.from_queryset(qs.values(*columns))


def segment_coverage_geojson(
    *,
    user: User,
    bbox: Polygon | None = None,
    district: int | None = None,
    on: dt.date | None = None,
) -> str:
    """Segments with `responsible` (a segment assignment), `in_patch`, and the pledge status of
    the households whose front door is on them: `front_doors`, `front_doors_signed`,
    `signed_share` (null when no front door)."""
    qs = segments_for(user)
    if bbox is not None:
        qs = qs.filter(geom__intersects=bbox)
    if district is not None:
        qs = qs.filter(district_id=district)
    return _feature_collection(
        segment_coverage_rows(qs, user=user, on=on),
        [
            "id",
            "code",
            "line_code",
            "district_id",
            "responsible",
            "in_patch",
            "responsible_name",
            "front_doors",
            "front_doors_signed",
            "signed_share",
            "length_m",
            "geom",
        ],
    )


def segment_coverage_rows(
    qs: QuerySet[Segment], *, user: User, on: dt.date | None = None
) -> QuerySet:
    """The segments of `qs` annotated with their coverage (the GeoJSON layer above and the
    coverage tiles read the same columns; `responsible_name` as `user` may see it)."""
    fd = Assignment.objects.filter(
        active_on(on), scope=Assignment.Scope.FRONT_DOOR, segment=OuterRef("pk")
    )
    primary = Assignment.objects.filter(
        active_on(on), scope=Assignment.Scope.SEGMENT, segment=OuterRef("pk")
    ).order_by("-is_primary", "valid_from")
    qs = qs.annotate(
        responsible=_segment_responsible_q(on),
        in_patch=_in_patch(on),
        responsible_name=name_sql(
            user,
            Whose.RESPONSIBLE,
            Subquery(
                primary.annotate(
                    n=Coalesce(NullIf(F("user__display_name"), Value("")), F("person_name"))
                ).values("n")[:1]
            ),
        ),
        front_doors=SubqueryCount(fd.values("pk")),
        front_doors_signed=SubqueryCount(fd.filter(active_pledge_exists("household")).values("pk")),
        length_m=length_m("geom"),
        line_code=F("line__code"),
    ).annotate(
        signed_share=Case(
            When(front_doors=0, then=Value(None)),
            default=F("front_doors_signed") * 1.0 / F("front_doors"),
            output_field=gis_models.FloatField(),
        )
    )
    return qs


def assignments_geojson(
    *,
    user: User,
    bbox: Polygon | None = None,
    district: int | None = None,
    scope: str | None = None,
    on: dt.date | None = None,
) -> str:
    """Active assignments as features: a patch's polygon, a segment's or front door's line;
    `person` and `phone` as the reader may see them (null, or the name masked)."""
    qs = assignments_for(user).filter(active_on(on))
    if scope:
        qs = qs.filter(scope=scope)
    if district is not None:
        qs = qs.filter(district_id=district)
    qs = qs.annotate(
        geom=Coalesce(
            F("patch"), F("segment__geom"), output_field=gis_models.GeometryField(srid=4326)
        ),
        # Who answers, as scopes.PERSONAL_DATA shows a responsible person to this reader.
        person=name_sql(
            user,
            Whose.RESPONSIBLE,
            Coalesce(
                NullIf(F("user__display_name"), Value("")),
                NullIf(F("person_name"), Value("")),
                F("household__head_name"),
            ),
        ),
        phone=phone_sql(
            user,
            Whose.RESPONSIBLE,
            Coalesce(
                NullIf(F("user__phone"), Value("")),
                NullIf(F("person_phone"), Value("")),
                F("household__phone"),
            ),
        ),
    )
    if bbox is not None:
        qs = qs.filter(geom__intersects=bbox)
    return _feature_collection(
        qs,
        [
            "id",
            "scope",
            "person",
            "phone",
            "user_id",
            "segment_id",
            "household_id",
            "is_primary",
            "valid_from",
            "valid_until",
            "front_door_state",
            "distance_m",
            "geom",
        ],
    )
