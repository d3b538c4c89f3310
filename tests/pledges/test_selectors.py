from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Polygon

from pledges.compact import selectors as compact_selectors
from pledges.models import Assignment, CompactVersion
from pledges.responsibility import selectors as responsibility_selectors
from tests.factories import HouseholdFactory, SegmentFactory, UserFactory, villager_for

from .factories import PledgeFactory, SegmentAssignmentFactory

pytestmark = pytest.mark.django_db


def test_responsibles_for_segment_lists_segment_patch_and_front_door():
    segment = SegmentFactory()
    guard = UserFactory(role="villager", household=HouseholdFactory(), phone="15800000001")
    SegmentAssignmentFactory(
        segment=segment, user=guard, person_name="", valid_from=dt.date(2024, 1, 1)
    )
    SegmentAssignmentFactory(
        segment=segment, person_name="李护线", person_phone="13700000002", is_primary=False
    )
    Assignment.objects.create(
        scope="patch",
        district=segment.district,
        patch=segment.geom.buffer(0.001),
        person_name="村干部王",
        person_phone="13600000003",
        valid_from=dt.date(2024, 1, 1),
    )
    household = HouseholdFactory()
    villager = villager_for(household)
    Assignment.objects.create(
        scope="front_door",
        district=segment.district,
        segment=segment,
        household=household,
        front_door_state="confirmed",
        valid_from=dt.date(2024, 1, 1),
    )
    # An ended assignment is history, not a responsible today.
    SegmentAssignmentFactory(
        segment=segment,
        person_name="旧护线员",
        valid_from=dt.date(2020, 1, 1),
        valid_until=dt.date(2020, 12, 31),
    )

    rows = responsibility_selectors.responsibles_for_segment(
        segment_id=segment.pk, household_id=household.pk
    )

    assert [(r["scope"], r["name"]) for r in rows] == [
        ("segment", guard.display_name),
        ("segment", "李护线"),
        ("patch", "村干部王"),
        ("front_door", household.head_name),
    ]
    assert rows[0]["user_id"] == guard.pk and rows[0]["phone"] == "15800000001"
    assert rows[1]["user_id"] is None and rows[1]["phone"] == "13700000002"
    assert rows[3]["user_id"] == villager.pk
    on_2020 = responsibility_selectors.responsibles_for_segment(
        segment_id=segment.pk, on=dt.date(2020, 6, 1)
    )
    assert [r["name"] for r in on_2020] == ["旧护线员"]


def test_responsibles_for_unknown_segment_is_empty():
    assert responsibility_selectors.responsibles_for_segment(segment_id=999_999) == []


def test_patch_elsewhere_is_not_responsible():
    segment = SegmentFactory()
    far = Polygon.from_bbox((113.5, 31.0, 113.6, 31.1))
    far.srid = 4326
    Assignment.objects.create(
        scope="patch",
        district=segment.district,
        patch=far,
        person_name="远处",
        valid_from=dt.date(2024, 1, 1),
    )
    assert responsibility_selectors.responsibles_for_segment(segment_id=segment.pk) == []


# --- coverage, hand-computed ----------------------------------------------------------------


@pytest.fixture
def covered_world():
    """v1 (grid 1): h1 signed, h2 withdrawn, h3 never signed; v2 (grid 2): h4 signed.
    Grid 1 lines: A 1000 m (assigned to a guard), B 500 m (nobody); grid 2: C 400 m, inside a
    patch only (a patch does not make a segment "held"). Front doors on A: h1 confirmed,
    h2 proposed."""
    from django.contrib.gis.geos import LineString

    from tests.factories import point

    from .factories import World

    w = World()
    c1 = w.d1.boundary.centroid
    c2 = w.d2.boundary.centroid
    w.sa = SegmentFactory(
        district=w.d1,
        transformer_area=w.ta1,
        geom=LineString(point(0, 0, c1.x, c1.y), point(1000, 0, c1.x, c1.y), srid=4326),
    )
    w.sb = SegmentFactory(
        district=w.d1,
        transformer_area=w.ta1,
        geom=LineString(point(0, 300, c1.x, c1.y), point(500, 300, c1.x, c1.y), srid=4326),
    )
    w.sc = SegmentFactory(
        district=w.d2,
        transformer_area=w.ta2,
        geom=LineString(point(0, 0, c2.x, c2.y), point(400, 0, c2.x, c2.y), srid=4326),
    )
    signed_at = dt.datetime(2024, 2, 1, 12, tzinfo=dt.UTC)
    PledgeFactory(household=w.h1, version=w.version, signed_at=signed_at)
    PledgeFactory(
        household=w.h2,
        version=w.version,
        status="withdrawn",
        ended_at=signed_at,
        signed_at=signed_at,
    )
    PledgeFactory(household=w.h4, version=w.version)
    SegmentAssignmentFactory(segment=w.sa, person_name="甲")
    Assignment.objects.create(
        scope="patch",
        district=w.d2,
        patch=w.sc.geom.buffer(0.0005),
        person_name="村干部",
        valid_from=dt.date(2024, 1, 1),
    )
    for household, state in ((w.h1, "confirmed"), (w.h2, "proposed")):
        Assignment.objects.create(
            scope="front_door",
            district=w.d1,
            household=household,
            segment=w.sa,
            front_door_state=state,
            valid_from=dt.date(2024, 1, 1),
            distance_m=20,
        )
    return w


def _by_id(rows):
    return {r["id"]: r for r in rows}


def test_coverage_per_village_is_hand_checkable(covered_world):
    w = covered_world
    rows = _by_id(responsibility_selectors.coverage(level="village", user=w.staff))
    v1, v2 = rows[w.v1.pk], rows[w.v2.pk]
    assert (v1["households"], v1["signed"], v1["front_doors_confirmed"]) == (3, 1, 1)
    assert v1["pledge_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert v1["line_length_m"] == pytest.approx(1500, rel=0.005)
    assert v1["covered_length_m"] == pytest.approx(1000, rel=0.005)
    assert v1["responsibility_rate"] == pytest.approx(2 / 3, rel=0.002)
    assert (v2["households"], v2["signed"], v2["front_doors_confirmed"]) == (1, 1, 0)
    assert v2["line_length_m"] == pytest.approx(400, rel=0.005)
    assert v2["covered_length_m"] == 0 and v2["responsibility_rate"] == 0


def test_coverage_per_station_and_district(covered_world):
    w = covered_world
    (station,) = responsibility_selectors.coverage(level="station", user=w.staff)
    assert (station["households"], station["signed"]) == (4, 2)
    assert station["pledge_rate"] == pytest.approx(0.5)
    assert station["line_length_m"] == pytest.approx(1900, rel=0.005)
    assert station["covered_length_m"] == pytest.approx(1000, rel=0.005)
    districts = _by_id(responsibility_selectors.coverage(level="district", user=w.staff))
    assert districts[w.d1.pk]["signed"] == 1 and districts[w.d2.pk]["signed"] == 1
    tas = _by_id(responsibility_selectors.coverage(level="transformer_area", user=w.staff))
    assert tas[w.ta1.pk]["covered_length_m"] == pytest.approx(1000, rel=0.005)
    assert tas[w.ta2.pk]["covered_length_m"] == 0


def test_grid_manager_sees_coverage_of_their_grid_only(covered_world):
    w = covered_world
    (station,) = responsibility_selectors.coverage(level="station", user=w.m1)
    assert (station["households"], station["signed"]) == (3, 1)
    assert station["line_length_m"] == pytest.approx(1500, rel=0.005)
    assert [r["id"] for r in responsibility_selectors.coverage(level="district", user=w.m1)] == [
        w.d1.pk
    ]


def test_coverage_is_one_query(covered_world, django_assert_num_queries):
    with django_assert_num_queries(1):
        responsibility_selectors.coverage(level="village", user=covered_world.staff)


def test_unsigned_households_and_unassigned_segments(covered_world):
    w = covered_world
    assert list(compact_selectors.unsigned_households(user=w.staff)) == [w.h2, w.h3]
    assert list(compact_selectors.unsigned_households(user=w.m2)) == []
    assert list(compact_selectors.unsigned_households(user=w.staff, village=w.v2)) == []
    assert set(responsibility_selectors.unassigned_segments(user=w.staff)) == {w.sb, w.sc}
    assert list(responsibility_selectors.unassigned_segments(user=w.staff, village=w.v1)) == [w.sb]
    (sc,) = responsibility_selectors.unassigned_segments(user=w.m2)
    assert sc == w.sc and sc.in_patch is True


def test_households_due_for_renewal_after_the_period_or_a_new_version(covered_world):
    w = covered_world
    due = list(compact_selectors.households_due_for_renewal(user=w.staff, on=dt.date(2025, 3, 1)))
    assert due == [w.h1]
    assert due[0].due_on == dt.date(2025, 1, 31)
    assert (
        list(compact_selectors.households_due_for_renewal(user=w.staff, on=dt.date(2025, 1, 30)))
        == []
    )
    # The villager's own reminder uses the same selector with their account.
    assert compact_selectors.households_due_for_renewal(
        user=villager_for(w.h1), on=dt.date(2025, 3, 1)
    ).exists()
    assert not compact_selectors.households_due_for_renewal(user=villager_for(w.h4)).exists()
    # A new version in force makes every pledge on the old one due.
    CompactVersion.objects.filter(pk=w.version.pk).update(status="superseded")
    assert set(compact_selectors.households_due_for_renewal(user=w.staff)) == {w.h1, w.h4}


def test_segment_coverage_layer_counts_front_doors_and_their_pledges(covered_world):
    import json

    w = covered_world
    fc = json.loads(responsibility_selectors.segment_coverage_geojson(user=w.staff))
    props = {f["properties"]["id"]: f["properties"] for f in fc["features"]}
    assert props[w.sa.pk]["responsible"] is True
    assert props[w.sa.pk]["responsible_name"] == "甲"
    assert (props[w.sa.pk]["front_doors"], props[w.sa.pk]["front_doors_signed"]) == (2, 1)
    assert props[w.sa.pk]["signed_share"] == pytest.approx(0.5)
    assert props[w.sb.pk]["responsible"] is False and props[w.sb.pk]["signed_share"] is None
    assert props[w.sc.pk]["responsible"] is False and props[w.sc.pk]["in_patch"] is True
    assert fc["features"][0]["geometry"]["type"] == "LineString"
    only_d2 = json.loads(responsibility_selectors.segment_coverage_geojson(user=w.m2))
    assert [f["properties"]["id"] for f in only_d2["features"]] == [w.sc.pk]


def test_assignments_layer_and_villager_responsibilities(covered_world):
    import json

    w = covered_world
    fc = json.loads(responsibility_selectors.assignments_geojson(user=w.staff))
    scopes = sorted(f["properties"]["scope"] for f in fc["features"])
    assert scopes == ["front_door", "front_door", "patch", "segment"]
    villager = villager_for(w.h1)
    mine = responsibility_selectors.villager_responsibilities(user=villager)
    assert mine["front_door"].segment == w.sa
    assert mine["version"] == w.version
    geo = json.loads(responsibility_selectors.villager_responsibilities_geojson(user=villager))
    assert [f["properties"]["scope"] for f in geo["features"]] == ["front_door", "home"]


def test_compact_in_force_prefers_the_village_compact(covered_world):
    from .factories import CompactFactory, PublishedVersionFactory

    w = covered_world
    assert compact_selectors.compact_in_force(village=w.v1) == w.version
    own = CompactFactory(station=w.station, scope="village", village=w.v1)
    v = PublishedVersionFactory(compact=own, effective_from=dt.date(2024, 6, 1))
    assert compact_selectors.compact_in_force(village=w.v1) == v
    assert compact_selectors.compact_in_force(village=w.v1, on=dt.date(2024, 3, 1)) == w.version
    assert compact_selectors.compact_in_force(village=w.v2) == w.version


def test_a_district_compact_applies_to_villages_with_households_in_that_grid(covered_world):
    from .factories import CompactFactory, PublishedVersionFactory

    w = covered_world
    grid_compact = CompactFactory(station=w.station, scope="district", district=w.d2)
    v = PublishedVersionFactory(compact=grid_compact, effective_from=dt.date(2024, 6, 1))
    assert compact_selectors.compact_in_force(village=w.v2) == v  # h4 is in grid 2
    assert compact_selectors.compact_in_force(village=w.v1) == w.version
