"""Snapping and the protection zone on hand-checked geometry: the 10 kV line runs along
y = 500 m, so a point at y = 503 m is 3 m from it (inside the 5 m zone), y = 506 m is 6 m
(outside), and the segment boundary is at x = 1000 m."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from patrols.errors import InvalidLocation, OutsideGrid
from patrols.snapping import intake, make_point, outside_grid
from tests.factories import point
from tests.patrols.factories import build_grid

pytestmark = pytest.mark.django_db


def snap(p, *, g):
    """Where the submission of the grid's villager (a household of the station) puts p."""
    known = intake(
        reporter=g.villager, point=p, client_id=uuid.uuid4(),
        since=timezone.now() - dt.timedelta(hours=1),
    )  # fmt: skip
    if known.snap is None:
        raise outside_grid()
    return known.snap


@pytest.fixture
def g():
    return build_grid()


def test_point_three_metres_from_a_10kv_line_is_inside_the_zone(g):
    where = snap(point(500, 503), g=g)
    assert where.segment_id == g.segment_west.pk
    assert where.distance_m == pytest.approx(3.0, abs=0.05)
    assert where.in_zone is True
    assert where.district.pk == g.district.pk
    assert where.transformer_area_id == g.ta.pk


def test_point_six_metres_away_is_outside_the_5m_zone(g):
    where = snap(point(1500, 494), g=g)
    assert where.segment_id == g.segment_east.pk
    assert where.distance_m == pytest.approx(6.0, abs=0.05)
    assert where.in_zone is False


def test_zone_width_follows_the_line_voltage_setting(g, settings):
    zones = settings.HOUHU_PROTECTION_ZONES
    settings.HOUHU_PROTECTION_ZONES = {**zones, 10: {**zones[10], "zone_m": 8.0}}
    assert snap(point(1500, 494), g=g).in_zone is True


def test_point_beyond_the_search_radius_keeps_the_grid_but_no_segment(g, settings):
    settings.PATROLS_SNAP_RADIUS_M = 200
    where = snap(point(500, 1500), g=g)
    assert where.segment_id is None
    assert where.distance_m is None
    assert where.in_zone is False
    assert where.district.pk == g.district.pk


def test_village_is_the_nearest_households(g):
    assert snap(point(1000, 503), g=g).village_id == g.village.pk


def test_village_only_within_the_village_radius(g, settings):
    """The household (at 1000, 520) is 300 m from (1000, 820): its village within a 350 m
    radius, none within 250 m (the nearest household further than the radius never counts)."""
    settings.PATROLS_VILLAGE_RADIUS_M = 350
    assert snap(point(1000, 820), g=g).village_id == g.village.pk
    settings.PATROLS_VILLAGE_RADIUS_M = 250
    assert snap(point(1000, 820), g=g).village_id is None


def test_point_outside_every_grid_of_the_station_is_refused(g):
    with pytest.raises(OutsideGrid):
        snap(point(-5000, 500), g=g)


def test_other_stations_line_is_not_snapped_to(g):
    with pytest.raises(OutsideGrid):
        snap(point(5000, 503), g=g)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(0, 0), (181, 30), (112, 91), ("abc", 30), (None, 30), (float("nan"), 30)],
)
def test_invalid_coordinates_are_refused(lon, lat):
    with pytest.raises(InvalidLocation):
        make_point(lon, lat)
