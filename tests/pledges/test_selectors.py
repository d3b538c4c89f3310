from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Polygon

from pledges import selectors
from pledges.models import Assignment
from tests.factories import HouseholdFactory, SegmentFactory, UserFactory, villager_for

from .factories import SegmentAssignmentFactory

pytestmark = pytest.mark.django_db


def test_responsibles_for_segment_lists_segment_patch_and_front_door():
    segment = SegmentFactory()
    guard = UserFactory(role="villager", household=HouseholdFactory(), phone="13900000001")
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

    rows = selectors.responsibles_for_segment(segment_id=segment.pk, household_id=household.pk)

    assert [(r["scope"], r["name"]) for r in rows] == [
        ("segment", guard.display_name),
        ("segment", "李护线"),
        ("patch", "村干部王"),
        ("front_door", household.head_name),
    ]
    assert rows[0]["user_id"] == guard.pk and rows[0]["phone"] == "13900000001"
    assert rows[1]["user_id"] is None and rows[1]["phone"] == "13700000002"
    assert rows[3]["user_id"] == villager.pk
    on_2020 = selectors.responsibles_for_segment(segment_id=segment.pk, on=dt.date(2020, 6, 1))
    assert [r["name"] for r in on_2020] == ["旧护线员"]


def test_responsibles_for_unknown_segment_is_empty():
    assert selectors.responsibles_for_segment(segment_id=999_999) == []


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
    assert selectors.responsibles_for_segment(segment_id=segment.pk) == []
