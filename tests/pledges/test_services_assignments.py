"""Responsibility: segments, patches, and front doors derived on hand-checked geometry.

Geometry uses tests.factories.point(dx_m, dy_m): metres east/north of (112.80 E, 30.45 N).
Two parallel segments run west-east, A along y = 0 m and B along y = 200 m, from x = 0 to
x = 1000 m. A household at (500, 30) is 30 m from A (and 170 m from B); one at (500, 150)
is 50 m from B; one at (500, -150) is 150 m from A: beyond the 100 m default.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import LineString, Polygon
from django.utils import timezone, translation

from pledges import errors
from pledges.models import Assignment, AssignmentEvent
from pledges.responsibility import services
from tests.factories import HouseholdFactory, SegmentFactory, VillageFactory, point

from .factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (msgids); the site default is Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def geo(world):
    class Geo:
        pass

    g = Geo()
    g.village = VillageFactory(station=world.station)
    g.a = SegmentFactory(
        district=world.d1,
        geom=LineString(point(0, 0), point(1000, 0), srid=4326),
    )
    g.b = SegmentFactory(
        district=world.d1,
        geom=LineString(point(0, 200), point(1000, 200), srid=4326),
    )

    def house(dx, dy):
        return HouseholdFactory(
            transformer_area=world.ta1, village=g.village, location=point(dx, dy)
        )

    g.near_a, g.near_b, g.far = house(500, 30), house(500, 150), house(500, -150)
    return g


def front_door(household) -> Assignment:
    return Assignment.objects.get(
        scope="front_door", household=household, valid_until__isnull=True, cancelled_at=None
    )


def test_front_door_is_the_nearest_segment_within_the_distance(world, geo):
    counts = services.derive_front_doors(village=geo.village, by=world.m1, max_distance_m=100)

    assert counts.as_dict() == {
        "households": 3,
        "with_segment": 2,
        "proposed": 2,
        "updated": 0,
        "too_far": 1,
    }
    a = front_door(geo.near_a)
    b = front_door(geo.near_b)
    assert a.segment == geo.a and a.distance_m == pytest.approx(30, abs=0.2)
    assert b.segment == geo.b and b.distance_m == pytest.approx(50, abs=0.2)
    assert a.front_door_state == "proposed" and a.district == world.d1
    assert not Assignment.objects.filter(household=geo.far).exists()
    assert AssignmentEvent.objects.filter(action="derived").count() == 2


def test_a_larger_distance_reaches_the_far_household(world, geo):
    services.derive_front_doors(village=geo.village, by=world.m1, max_distance_m=160)
    far = front_door(geo.far)
    assert far.segment == geo.a and far.distance_m == pytest.approx(150, abs=0.3)


def test_rederiving_is_idempotent(world, geo):
    services.derive_front_doors(village=geo.village, by=world.m1)
    again = services.derive_front_doors(village=geo.village, by=world.m1)
    assert (again.proposed, again.updated) == (0, 0)
    assert Assignment.objects.filter(scope="front_door").count() == 2
    assert AssignmentEvent.objects.count() == 2


def test_rederiving_moves_proposed_but_never_confirmed_front_doors(world, geo):
    services.derive_front_doors(village=geo.village, by=world.m1)
    services.confirm_front_door(assignment=front_door(geo.near_b), by=world.m1)
    # A new segment between the two houses: 10 m from near_a? no: at y = 40 m it is 10 m
    # from near_a (y = 30) and 110 m from near_b (y = 150); at y = 140 it is 10 m from near_b.
    SegmentFactory(district=world.d1, geom=LineString(point(0, 40), point(1000, 40), srid=4326))
    c = SegmentFactory(
        district=world.d1, geom=LineString(point(0, 140), point(1000, 140), srid=4326)
    )
    counts = services.derive_front_doors(village=geo.village, by=world.m1)
    assert counts.updated == 1 and counts.proposed == 0
    assert front_door(geo.near_a).distance_m == pytest.approx(10, abs=0.2)
    kept = front_door(geo.near_b)
    assert kept.segment == geo.b and kept.front_door_state == "confirmed"
    assert kept.segment != c


def test_grid_manager_cannot_derive_front_doors_outside_their_district(world, geo):
    with pytest.raises(errors.NotAllowed):
        services.derive_front_doors(village=geo.village, by=world.m2)
    assert not Assignment.objects.exists()


def test_staff_adjusts_a_front_door_and_the_distance_is_recomputed(world, geo):
    services.derive_front_doors(village=geo.village, by=world.m1)
    fd = services.adjust_front_door(
        assignment=front_door(geo.near_a), segment=geo.b, by=world.staff, note="门朝北"
    )
    assert fd.segment == geo.b and fd.front_door_state == "adjusted"
    assert fd.distance_m == pytest.approx(170, abs=0.3)
    event = AssignmentEvent.objects.get(assignment=fd, action="adjusted")
    assert (event.from_state, event.to_state, event.by) == ("proposed", "adjusted", world.staff)
    with pytest.raises(errors.InvalidTransition):
        services.confirm_front_door(assignment=fd, by=world.staff)


def test_grid_manager_assigns_segments_to_a_named_line_guard(world, geo):
    rows = services.assign_segments(
        segments=[geo.a, geo.b],
        person_name="王护线",
        person_phone="13700000000",
        valid_from=dt.date(2025, 1, 1),
        by=world.m1,
    )
    assert len(rows) == 2
    assert set(Assignment.objects.filter(scope="segment").values_list("segment", flat=True)) == {
        geo.a.pk,
        geo.b.pk,
    }
    assert AssignmentEvent.objects.filter(action="assigned").count() == 2


def test_grid_manager_cannot_assign_outside_their_district(world, geo):
    with pytest.raises(errors.NotAllowed):
        services.assign_segments(segments=[geo.a], person_name="王", by=world.m2)
    assert not Assignment.objects.exists()


def test_overlapping_primary_assignment_is_refused_unless_replacing(world, geo):
    services.assign_segments(
        segments=[geo.a], person_name="甲", valid_from=dt.date(2025, 1, 1), by=world.m1
    )
    with pytest.raises(errors.AssignmentConflict):
        services.assign_segments(
            segments=[geo.a, geo.b], person_name="乙", valid_from=dt.date(2025, 6, 1), by=world.m1
        )
    assert Assignment.objects.count() == 1  # b was not assigned either: all or nothing
    services.assign_segments(
        segments=[geo.a],
        person_name="乙",
        valid_from=dt.date(2025, 6, 1),
        replace=True,
        by=world.m1,
    )
    first, second = Assignment.objects.filter(segment=geo.a).order_by("valid_from")
    assert first.valid_until == dt.date(2025, 5, 31) and first.person_name == "甲"
    assert second.valid_until is None and second.person_name == "乙"


def test_replacing_on_the_same_day_strikes_the_old_assignment_out(world, geo):
    today = timezone.localdate()
    services.assign_segments(segments=[geo.a], person_name="甲", valid_from=today, by=world.m1)
    services.assign_segments(
        segments=[geo.a], person_name="乙", valid_from=today, replace=True, by=world.m1
    )
    old = Assignment.objects.get(person_name="甲")
    assert old.cancelled_at is not None
    assert AssignmentEvent.objects.filter(assignment=old, action="cancelled").exists()


def test_assignment_without_a_person_is_refused(world, geo):
    with pytest.raises(errors.BadInput):
        services.assign_segments(segments=[geo.a], by=world.m1)
    assert not Assignment.objects.exists()


def test_staff_draws_a_patch_and_its_district_is_found(world, geo):
    c = world.d2.boundary.centroid
    patch = Polygon(
        (
            point(-50, -50, c.x, c.y),
            point(300, -50, c.x, c.y),
            point(300, 300, c.x, c.y),
            point(-50, 300, c.x, c.y),
            point(-50, -50, c.x, c.y),
        ),
        srid=4326,
    )
    a = services.assign_patch(polygon=patch.geojson, person_name="村干部", by=world.staff)
    assert a.scope == "patch" and a.district == world.d2
    assert a.patch.equals_exact(patch, 1e-9)
    assert Assignment.objects.filter(scope="patch", person_name="村干部").count() == 1


def test_a_self_crossing_patch_is_refused(world):
    bowtie = Polygon(
        (point(0, 0), point(100, 100), point(100, 0), point(0, 100), point(0, 0)), srid=4326
    )
    with pytest.raises(errors.BadGeometry):
        services.assign_patch(polygon=bowtie, person_name="村干部", by=world.staff)
    impossible = {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 95], [0, 0]]]}
    with pytest.raises(errors.BadGeometry):
        services.assign_patch(polygon=impossible, person_name="村干部", by=world.staff)
    with pytest.raises(errors.BadGeometry):
        services.assign_patch(polygon="not a polygon", person_name="村干部", by=world.staff)
    assert not Assignment.objects.exists()


def test_grid_manager_cannot_draw_a_patch_in_another_grid(world):
    d2 = world.d2.boundary
    with pytest.raises((errors.NotAllowed, errors.BadGeometry)):
        services.assign_patch(polygon=d2, district=world.d2, person_name="x", by=world.m1)
    with pytest.raises(errors.BadGeometry):
        services.assign_patch(polygon=d2.buffer(-0.001), person_name="x", by=world.m1)
    assert not Assignment.objects.exists()


def _across_the_east_edge(district, outside: float) -> Polygon:
    """A 0.01 x 0.005 degree patch on the grid's east edge, `outside` of it beyond."""
    _xmin, ymin, xmax, ymax = district.boundary.extent
    y = (ymin + ymax) / 2
    return Polygon.from_bbox((xmax - 0.01 * (1 - outside), y, xmax + 0.01 * outside, y + 0.005))


def test_a_patch_mostly_outside_the_managers_grid_is_refused_naming_the_polygon(world):
    patch = _across_the_east_edge(world.d1, outside=0.6)
    patch.srid = 4326
    with pytest.raises(errors.BadGeometry) as refused:
        services.assign_patch(polygon=patch, person_name="x", by=world.m1)
    assert refused.value.field == "polygon"
    assert "60%" in refused.value.message and world.d1.name in refused.value.message
    assert not Assignment.objects.exists()


def test_a_patch_overshooting_the_grid_edge_by_a_hand_drawn_margin_is_kept_as_drawn(world):
    patch = _across_the_east_edge(world.d1, outside=0.03)
    patch.srid = 4326
    a = services.assign_patch(polygon=patch, person_name="x", by=world.m1)
    assert a.district == world.d1 and a.patch.equals_exact(patch, 1e-9)


def test_ending_an_assignment_keeps_it_as_history(world, geo):
    (a,) = services.assign_segments(
        segments=[geo.a], person_name="甲", valid_from=dt.date(2025, 1, 1), by=world.m1
    )
    services.end_assignment(assignment=a, until=dt.date(2025, 3, 31), by=world.m1)
    a.refresh_from_db()
    assert a.valid_until == dt.date(2025, 3, 31) and a.cancelled_at is None
    with pytest.raises(errors.InvalidTransition):
        services.end_assignment(assignment=a, until=dt.date(2025, 4, 30), by=world.m1)
    with pytest.raises(errors.NotAllowed):
        services.end_assignment(assignment=a, by=world.m2)


def test_a_leader_or_another_stations_staff_cannot_hold_a_segment(world, geo):
    from tests.factories import UserFactory

    outsider = UserFactory(role="staff", station=World().station)
    for person in (world.leader, outsider):
        with pytest.raises(errors.BadInput):
            services.assign_segments(segments=[geo.a], user=person, by=world.m1)
    assert not Assignment.objects.exists()
    (a,) = services.assign_segments(segments=[geo.a], user=world.m1, by=world.m1)
    assert a.user == world.m1
