"""What a villager's own map shows around their home, readable with no basemap (issue 13):
their grid's outline, their transformer area, the villages' names, the households nearby
as dots (no name, no number: where the houses are, not who lives there), the 10 kV lines
with their names, and their own home. Water and roads are not in the station's data; the
map draws them once they are.

A few hundred features: built here with GEOS rather than as SQL JSON (layers.py), which
pays only for the station's thousands."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib.gis.db.models import LineStringField, PointField

from houhu.accounts.scopes import Can, can

from .geo import within_m
from .models import Household, Line, Village

if TYPE_CHECKING:
    from houhu.accounts.models import User

# Far enough to see the neighbours and the line that passes them, near enough to stay a
# few hundred dots on a phone.
RADIUS_M = 400.0
MAX_HOUSEHOLDS = 400


def _feature(geom, layer: str, name: str = "") -> dict[str, Any]:
    props: dict[str, Any] = {"layer": layer}
    if name:
        props["name"] = name
    return {"type": "Feature", "geometry": json.loads(geom.json), "properties": props}


def around_home(user: User) -> dict[str, Any] | None:
    """The FeatureCollection around the user's household, or None for anyone without one
    (only villagers have a home to stand at)."""
    if not can(user, Can.VILLAGER_PAGES) or not user.household_id:
        return None
    home = Household.objects.select_related("transformer_area__district", "village").get(
        pk=user.household_id
    )
    here = home.location
    area = home.transformer_area
    features = [_feature(area.district.boundary, "district", area.district.name)]
    if area.area is not None:
        features.append(_feature(area.area, "area", area.name))
    villages = Village.objects.filter(
        station_id=area.district.station_id, centre__isnull=False
    ).filter(within_m("centre", PointField, here, RADIUS_M * 3))
    features += [_feature(v.centre, "village", v.name) for v in villages]
    neighbours = (
        Household.objects.filter(is_active=True, transformer_area__district=area.district)
        .exclude(pk=home.pk)
        .filter(within_m("location", PointField, here, RADIUS_M))
        .only("location")[:MAX_HOUSEHOLDS]
    )
    features += [_feature(h.location, "household") for h in neighbours]
    lines = Line.objects.filter(station_id=area.district.station_id).filter(
        within_m("geom", LineStringField, here, RADIUS_M)
    )
    features += [_feature(line.geom, "line", line.name) for line in lines]
    features.append(_feature(here, "home"))
    return {"type": "FeatureCollection", "features": features}
