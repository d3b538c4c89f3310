"""The village-wide front-door derivation through a REAL Celery worker process."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString
from django.db import transaction

from houhu.outbox.models import Job
from pledges.models import Assignment
from pledges.responsibility import tasks
from pledges.responsibility.tasks import derive_front_doors_task
from tests.conftest import run_outbox
from tests.factories import HouseholdFactory, SegmentFactory, VillageFactory, point

from .factories import World


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_bulk_front_door_derivation_runs_on_a_real_worker(celery_worker):
    world = World()
    village = VillageFactory(station=world.station)
    SegmentFactory(district=world.d1, geom=LineString(point(0, 0), point(1000, 0), srid=4326))
    for i in range(7):
        HouseholdFactory(
            transformer_area=world.ta1, village=village, location=point(100 * i, 20 + 5 * i)
        )
    HouseholdFactory(transformer_area=world.ta1, village=village, location=point(0, 500))

    result = derive_front_doors_task.apply_async(
        kwargs={"village_id": village.pk, "by_id": world.m1.pk, "batch_size": 3}
    )
    summary = result.get(timeout=60)

    assert summary == {
        "done": 8,
        "total": 8,
        "households": 8,
        "with_segment": 7,
        "proposed": 7,
        "updated": 0,
        "too_far": 1,
    }
    fds = Assignment.objects.filter(scope="front_door", household__village=village)
    assert fds.count() == 7
    assert sorted(round(d) for d in fds.values_list("distance_m", flat=True)) == [
        20,
        25,
        30,
        35,
        40,
        45,
        50,
    ]
    # Idempotent: a second run proposes nothing new.
    again = derive_front_doors_task.apply_async(
        kwargs={"village_id": village.pk, "by_id": world.m1.pk}
    ).get(timeout=60)
    assert (again["proposed"], again["updated"]) == (0, 0)
    assert fds.count() == 7


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_async_derivation_is_recorded_with_the_commit_and_reports_progress(celery_worker):
    from celery.result import AsyncResult

    world = World()
    village = VillageFactory(station=world.station)
    SegmentFactory(district=world.d1, geom=LineString(point(0, 0), point(1000, 0), srid=4326))
    HouseholdFactory(transformer_area=world.ta1, village=village, location=point(10, 10))
    with transaction.atomic():
        task_id = tasks.derive_front_doors_later(village=village, by=world.m1)
        assert Job.objects.filter(name="outbox.send_task").count() == 1
    assert run_outbox() == 1  # published after the commit, by the relay
    summary = AsyncResult(task_id).get(timeout=60)
    assert summary["proposed"] == 1 and summary["done"] == summary["total"] == 1
    assert Assignment.objects.filter(scope="front_door").count() == 1
