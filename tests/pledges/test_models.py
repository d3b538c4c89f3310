"""The database itself refuses bad states: these tests bypass the services on purpose."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from houhu.lib.models import ImmutableRowError
from pledges.models import Assignment, Compact, Pledge, PledgeEvent
from tests.factories import DistrictFactory, HouseholdFactory, SegmentFactory, StationFactory

from .factories import (
    ClauseFactory,
    CompactFactory,
    PledgeFactory,
    PublishedVersionFactory,
    SegmentAssignmentFactory,
)

pytestmark = pytest.mark.django_db


def test_compact_scope_must_match_its_foreign_key():
    station = StationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Compact.objects.create(station=station, title="x", scope=Compact.Scope.DISTRICT)
    district = DistrictFactory(station=station)
    with pytest.raises(IntegrityError), transaction.atomic():
        Compact.objects.create(
            station=station, title="x", scope=Compact.Scope.STATION, district=district
        )
    Compact.objects.create(station=station, title="ok", scope="district", district=district)
    assert Compact.objects.filter(title="ok").count() == 1


def test_only_one_published_version_per_compact():
    version = PublishedVersionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PublishedVersionFactory(compact=version.compact)


def test_clause_numbers_unique_within_a_version():
    clause = ClauseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClauseFactory(version=clause.version, number=clause.number)


def test_database_refuses_second_active_pledge_for_same_version():
    pledge = PledgeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PledgeFactory(household=pledge.household, version=pledge.version)
    assert Pledge.objects.filter(household=pledge.household).count() == 1


def test_withdrawn_pledge_allows_a_new_active_one():
    pledge = PledgeFactory()
    Pledge.objects.filter(pk=pledge.pk).update(status="withdrawn", ended_at=pledge.signed_at)
    PledgeFactory(household=pledge.household, version=pledge.version)
    assert Pledge.objects.filter(household=pledge.household).count() == 2


def test_database_refuses_overlapping_primary_segment_assignments():
    first = SegmentAssignmentFactory(valid_from=dt.date(2024, 1, 1), valid_until=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        SegmentAssignmentFactory(segment=first.segment, valid_from=dt.date(2025, 6, 1))
    # A helper (not primary) may overlap; an adjacent, non-overlapping period may follow.
    SegmentAssignmentFactory(
        segment=first.segment, valid_from=dt.date(2025, 6, 1), is_primary=False
    )
    Assignment.objects.filter(pk=first.pk).update(valid_until=dt.date(2025, 5, 31))
    SegmentAssignmentFactory(segment=first.segment, valid_from=dt.date(2025, 6, 1))
    assert Assignment.objects.filter(segment=first.segment).count() == 3


def test_inclusive_last_day_overlaps_next_start():
    first = SegmentAssignmentFactory(
        valid_from=dt.date(2024, 1, 1), valid_until=dt.date(2024, 6, 1)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        SegmentAssignmentFactory(segment=first.segment, valid_from=dt.date(2024, 6, 1))


def test_cancelled_assignment_does_not_block_the_segment():
    first = SegmentAssignmentFactory(valid_from=dt.date(2024, 1, 1))
    Assignment.objects.filter(pk=first.pk).update(cancelled_at=first.created_at)
    SegmentAssignmentFactory(segment=first.segment, valid_from=dt.date(2024, 1, 1))


def test_patch_assignment_needs_a_valid_polygon():
    from django.contrib.gis.geos import Polygon

    district = DistrictFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            scope="patch", district=district, person_name="村干部", valid_from=dt.date(2024, 1, 1)
        )
    bowtie = Polygon(((0, 0), (1, 1), (1, 0), (0, 1), (0, 0)), srid=4326)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            scope="patch",
            district=district,
            patch=bowtie,
            person_name="村干部",
            valid_from=dt.date(2024, 1, 1),
        )


def test_one_open_front_door_per_household():
    household = HouseholdFactory()
    segment = SegmentFactory(district=household.transformer_area.district)
    kwargs = {
        "scope": "front_door",
        "district": segment.district,
        "household": household,
        "segment": segment,
        "front_door_state": "proposed",
        "valid_from": dt.date(2024, 1, 1),
    }
    Assignment.objects.create(**kwargs)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(**kwargs)


def test_events_are_immutable():
    pledge = PledgeFactory()
    event = PledgeEvent.objects.create(pledge=pledge, to_status="active")
    event.note = "rewritten"
    with pytest.raises(ImmutableRowError):
        event.save()
    with pytest.raises(ImmutableRowError):
        event.delete()
    assert PledgeEvent.objects.get(pk=event.pk).note == ""


def test_compact_factory_scope_default_is_station():
    assert CompactFactory().scope == "station"


def test_admin_cannot_edit_a_published_version_or_its_clauses(client):
    from tests.factories import UserFactory

    admin_user = UserFactory(role="admin", is_staff=True, is_superuser=True)
    version = PublishedVersionFactory()
    clause = ClauseFactory(version=version, number=1, text="原文")
    client.force_login(admin_user)
    url = f"/admin/pledges/compactversion/{version.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="clauses-0-text"' not in page.content  # shown read-only
    r = client.post(
        url,
        {
            "effective_from": "2030-01-01",
            "clauses-TOTAL_FORMS": "1",
            "clauses-INITIAL_FORMS": "1",
            "clauses-0-id": clause.pk,
            "clauses-0-version": version.pk,
            "clauses-0-number": "1",
            "clauses-0-kind": "other",
            "clauses-0-text": "改过",
        },
    )
    assert r.status_code == 403
    clause.refresh_from_db()
    version.refresh_from_db()
    assert clause.text == "原文" and str(version.effective_from) == "2024-01-01"
