"""The demo hook on one real-sized demo station (13,700 households): idempotent, and with
the figures the module promises. (Its speed is not asserted here: timed tests fail on a
busy machine; docs/demo-data.md gives the measured load times.)"""

from __future__ import annotations

import pytest
from django.db import connection

from houhu.accounts.models import User
from houhu.grid import demo as core_demo
from houhu.grid.models import County, Household
from pledges import demo
from pledges.compact import selectors as compact_selectors
from pledges.models import Assignment, CompactVersion, Pledge
from pledges.responsibility import selectors as responsibility_selectors


@pytest.mark.django_db
def test_demo_hook_loads_the_compact_pledges_and_assignments_once():
    county = County.objects.create(code="qianjiang", name="潜江市")
    station = core_demo.write_station(core_demo.plan_station(1, 2016), county, "!")

    demo.load_demo(stations=[station], seed=2016)

    versions = CompactVersion.objects.filter(compact__station=station).order_by("number")
    assert [(v.status, v.effective_from.year, v.clauses.count()) for v in versions] == [
        ("superseded", 2016, 6),
        ("published", 2024, 9),
    ]
    staff = User.objects.filter(station=station, role="staff").first()
    (row,) = responsibility_selectors.coverage(level="station", user=staff)
    assert row["households"] == 13_700
    assert 0.80 < row["pledge_rate"] < 0.90
    assert 0.70 < row["responsibility_rate"] < 0.95
    assert row["front_doors_confirmed"] > 0
    assert Pledge.objects.filter(status="renewed").exists()
    assert Pledge.objects.filter(method="online").exists()
    assert Assignment.objects.filter(scope="patch").count() == station.districts.count()
    # 家家户户包门前 in every grid, mostly confirmed in each.
    doors = Assignment.objects.filter(scope="front_door")
    for district in station.districts.all():
        mine = doors.filter(district=district)
        confirmed = mine.filter(front_door_state="confirmed").count()
        assert confirmed > 0.75 * mine.count() > 0, district.name
    # Every demo villager, the phone login first, has a responsibility to look at.
    for villager in User.objects.filter(role="villager", household__village__station=station):
        mine = responsibility_selectors.villager_responsibilities(user=villager)
        assert mine["front_door"] or mine["segments"] or mine["patches"], villager.username
    # The demo villager (the phone login) is reminded to renew.
    villager = User.objects.get(username="13900000001")
    assert compact_selectors.households_due_for_renewal(user=villager).exists()

    # The loader analysed what it bulk-wrote before joining it (houhu.lib.bulk): under the
    # statistics of an emptied table the pledge events' INSERT … SELECT went quadratic and
    # hung the suite for 14+ minutes. The planner's row counts now know the new rows.
    for model in (Household, Pledge):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
            )
            assert cursor.fetchone()[0] >= 0.9 * model.objects.count() > 0, model.__name__

    counts = (Pledge.objects.count(), Assignment.objects.count())
    demo.load_demo(stations=[station], seed=2016)
    assert (Pledge.objects.count(), Assignment.objects.count()) == counts
