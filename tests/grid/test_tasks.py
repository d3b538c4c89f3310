"""grid.refresh_district_counts, run by a real Celery worker on the real broker."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from houhu.celery import app
from houhu.grid import services
from houhu.grid.models import DistrictCounts
from houhu.grid.tasks import refresh_district_counts
from tests.factories import HouseholdFactory
from tests.grid.factories import build_world

schedule_migration = importlib.import_module(
    "houhu.grid.migrations.0003_schedule_refresh_district_counts"
)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_upserts_one_row_per_grid_and_is_idempotent(celery_worker):
    world = build_world()
    # A stale row must be overwritten, not added to.
    DistrictCounts.objects.create(
        district=world.d1, household_count=500, computed_at=timezone.now()
    )

    result = refresh_district_counts.delay()
    assert result.get(timeout=60) == 3

    rows = {c.district_id: c for c in DistrictCounts.objects.all()}
    assert set(rows) == {world.d1.pk, world.d2.pk, world.d3.pk}
    d1 = rows[world.d1.pk]
    assert (
        d1.household_count,
        d1.aquaculture_household_count,
        d1.transformer_area_count,
        d1.segment_count,
    ) == (2, 1, 1, 1)
    # 0.02 degrees of longitude at 30.455 N on the spheroid: ~1,919 m.
    assert 1900 < d1.line_length_m < 1940
    assert rows[world.d3.pk].segment_count == 0
    assert rows[world.d3.pk].line_length_m == 0.0
    first_run = d1.computed_at

    HouseholdFactory(transformer_area=world.ta1, is_aquaculture=True)
    HouseholdFactory(transformer_area=world.ta1, is_active=False)  # not counted
    result = refresh_district_counts.delay(station_id=world.station.pk)
    assert result.get(timeout=60) == 2

    assert DistrictCounts.objects.count() == 3
    d1 = DistrictCounts.objects.get(district=world.d1)
    assert (d1.household_count, d1.aquaculture_household_count) == (3, 2)
    assert d1.computed_at > first_run
    # Grid 3 (other station) was not part of this run.
    assert DistrictCounts.objects.get(district=world.d3).computed_at == first_run


@pytest.mark.django_db
def test_refresh_aggregates_in_one_select_and_one_upsert(django_assert_num_queries):
    build_world()
    # SELECT with the counts, then the upsert (plus the savepoint pair of atomic()).
    with django_assert_num_queries(4) as ctx:
        services.refresh_district_counts()
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert statements[0].startswith("SELECT")
    assert statements[1].startswith('INSERT INTO "grid_districtcounts"')
    assert "ON CONFLICT" in statements[1]


def test_task_is_registered_under_its_explicit_name():
    registered = app.tasks["grid.refresh_district_counts"]
    assert registered.name == refresh_district_counts.name == "grid.refresh_district_counts"
    assert registered.__module__ == "houhu.grid.tasks"


@pytest.mark.django_db
def test_beat_schedules_the_task_hourly_and_the_migration_is_idempotent():
    from django_celery_beat.models import PeriodicTask

    # Run the migration's function again (transactional tests may have flushed its rows).
    schedule_migration.schedule(django_apps, None)
    schedule_migration.schedule(django_apps, None)
    tasks = PeriodicTask.objects.filter(task="grid.refresh_district_counts")
    assert tasks.count() == 1
    task = tasks.get()
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "hours")
