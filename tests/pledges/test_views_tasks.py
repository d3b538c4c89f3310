"""The "derive front doors for this village" button, through a real Celery worker."""

from __future__ import annotations

import pytest
from celery.result import AsyncResult
from django.contrib.gis.geos import LineString
from django.urls import reverse

from pledges.models import Assignment
from tests.conftest import run_outbox
from tests.factories import (
    DistrictFactory,
    HouseholdFactory,
    LineFactory,
    SegmentFactory,
    TransformerAreaFactory,
    VillageFactory,
    manager_of,
    point,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_derives_front_doors_for_a_village_and_watches_progress(client, celery_worker):
    district = DistrictFactory()
    ta = TransformerAreaFactory(district=district)
    village = VillageFactory(station=district.station)
    line = LineFactory(station=district.station, geom=LineString(point(0, 0), point(400, 0)))
    segment = SegmentFactory(line=line, district=district, transformer_area=ta, geom=line.geom)
    near = HouseholdFactory(transformer_area=ta, village=village, location=point(100, 30))
    far = HouseholdFactory(transformer_area=ta, village=village, location=point(100, 5000))
    client.force_login(manager_of(district))

    response = client.post(reverse("pledges:derive_front_doors"), {"village": village.pk})
    assert response.status_code == 302
    task_id = response.url.split("/tasks/")[1].split("/")[0]
    page = client.get(response.url)
    status_url = reverse("pledges-api:task-status", kwargs={"task_id": task_id})
    assert status_url in page.content.decode()

    assert run_outbox() == 1  # the relay publishes the task recorded with the request
    AsyncResult(task_id).get(timeout=60)
    status = client.get(status_url).json()
    assert status["state"] == "SUCCESS"
    assert (status["done"], status["total"]) == (2, 2)
    doors = Assignment.objects.filter(scope="front_door")
    assert list(doors.values_list("household", "segment", "front_door_state")) == [
        (near.pk, segment.pk, "proposed")
    ]
    assert not doors.filter(household=far).exists()


def test_manager_cannot_derive_front_doors_in_another_grid(client):
    district = DistrictFactory()
    other = DistrictFactory(station=district.station)
    village = VillageFactory(station=district.station)
    HouseholdFactory(transformer_area=TransformerAreaFactory(district=other), village=village)
    client.force_login(manager_of(district))
    response = client.post(reverse("pledges:derive_front_doors"), {"village": village.pk})
    assert response.url == reverse("pledges:assign_map")
    assert not Assignment.objects.exists()
