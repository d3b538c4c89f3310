"""Where a report is: nearest segment, distance to it in metres, inside the protection zone
or not, and the grid, transformer area and village it belongs to.

Metres are measured on the spheroid through `houhu.grid.geo` (the project's one decision
on metres); the geography GiST indexes on segments and households make each lookup an
index scan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _

from houhu.grid import geo
from houhu.grid.models import District, Household, Segment, TransformerArea, Village

from .errors import InvalidLocation, OutsideGrid

if TYPE_CHECKING:
    from houhu.accounts.models import User


# Metres on the indexed geography casts: the helpers live with the decision in houhu.grid.geo.
within_m = geo.within_m
distance_to = geo.distance_m


@dataclass(frozen=True)
class Snap:
    segment: Segment | None
    distance_m: float | None
    in_zone: bool
    district: District
    transformer_area: TransformerArea | None
    village: Village | None


def make_point(lon, lat) -> Point:
    """A WGS-84 point from what the phone sent, or a translated refusal."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InvalidLocation(_("Longitude and latitude must be numbers.")) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InvalidLocation(_("Longitude and latitude must be numbers."))
    if not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
        raise InvalidLocation(
            _("Longitude must be between -180 and 180 and latitude between -90 and 90.")
        )
    # A phone without a fix often reports 0,0 ("null island"): never a real patrol.
    if x == 0.0 and y == 0.0:
        raise InvalidLocation(_("The phone sent no real location (0, 0). Tap the map instead."))
    return Point(x, y, srid=4326)


def stations_of(user: User) -> list[int] | None:
    """The stations whose grid a user reports in; None = every station (superuser)."""
    if user.household_id:
        return [user.household.transformer_area.district.station_id]
    if user.station_id:
        return [user.station_id]
    managed = list(user.managed_districts.values_list("station_id", flat=True).distinct())
    return managed or None


def snap(point: Point, *, station_ids: list[int] | None = None) -> Snap:
    radius = settings.PATROLS_SNAP_RADIUS_M
    segments = Segment.objects.select_related("line", "district", "transformer_area")
    districts = District.objects.all()
    if station_ids is not None:
        segments = segments.filter(district__station_id__in=station_ids)
        districts = districts.filter(station_id__in=station_ids)

    segment = (
        segments.filter(within_m("geom", models.LineStringField, point, radius))
        .annotate(d=distance_to("geom", models.LineStringField, point))
        .order_by("d", "pk")
        .first()
    )
    if segment is not None:
        district = segment.district
        dist = round(float(segment.d.m), 2)
        zone_m = segment.line.protection_zone()["zone_m"]
        in_zone = dist <= zone_m
    else:
        district = districts.filter(boundary__intersects=point).order_by("pk").first()
        dist, in_zone = None, False
        if district is None:
            raise OutsideGrid(
                _(
                    "This location is outside every service grid of the station. "
                    "Check the location or tap it on the map."
                )
            )

    household = (
        Household.objects.filter(transformer_area__district__station_id=district.station_id)
        .filter(within_m("location", models.PointField, point, settings.PATROLS_VILLAGE_RADIUS_M))
        .annotate(d=distance_to("location", models.PointField, point))
        .select_related("village", "transformer_area")
        .order_by("d", "pk")
        .first()
    )
    transformer_area = segment.transformer_area if segment is not None else None
    if transformer_area is None:
        transformer_area = (
            TransformerArea.objects.filter(district=district, area__intersects=point)
            .order_by("pk")
            .first()
        )
    if (
        transformer_area is None
        and household is not None
        and household.transformer_area.district_id == district.pk
    ):
        transformer_area = household.transformer_area
    return Snap(
        segment=segment,
        distance_m=dist,
        in_zone=in_zone,
        district=district,
        transformer_area=transformer_area,
        village=household.village if household is not None else None,
    )
