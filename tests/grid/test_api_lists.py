"""Plain JSON lists of the core: /api/districts/, /api/households/, … scoped, read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from houhu.grid.models import DistrictCounts, Household
from tests.grid.factories import build_world

pytestmark = pytest.mark.django_db

LISTS = ["districts", "transformer-areas", "villages", "households", "lines", "segments"]


@pytest.fixture
def world():
    return build_world()


def api(user, path: str, **params):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(f"/api/{path}", params, HTTP_ACCEPT_LANGUAGE="en")


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    return {row["id"] for row in body["results"]}


def test_households_filters(world):
    assert ids(api(world.staff, "households/", district=world.d2.pk)) == {world.h3.pk}
    assert ids(api(world.staff, "households/", transformer_area=world.ta1.pk)) == {
        world.h1.pk,
        world.h2.pk,
    }
    assert ids(api(world.staff, "households/", village=world.village.pk)) == {
        world.h1.pk,
        world.h2.pk,
        world.h3.pk,
    }
    assert ids(api(world.staff, "households/", is_aquaculture="true")) == {world.h2.pk}
    assert ids(api(world.staff, "households/", q=world.h3.customer_number[-4:])) == {world.h3.pk}
    assert ids(api(world.staff, "households/", q=world.h2.head_name)) == {world.h2.pk}


def test_household_row_shape(world):
    row = api(world.staff, f"households/{world.h1.pk}/").json()
    assert row["customer_number"] == world.h1.customer_number
    assert row["head_name"] == world.h1.head_name
    assert row["phone"] == world.h1.phone
    assert row["district"] == world.d1.pk
    assert row["village_name"] == "关庙办事处 张家窑分场村"
    assert row["location"] == {"type": "Point", "coordinates": [112.811235, 30.461235]}


def test_malformed_household_filter_is_a_400(world):
    response = api(world.staff, "households/", district="abc")
    assert response.status_code == 400
    assert "district" in response.json()


def test_leader_gets_households_without_names_and_cannot_search_by_name(world):
    body = api(world.leader, "households/").json()
    assert {row["id"] for row in body["results"]} == {
        world.h1.pk,
        world.h2.pk,
        world.h3.pk,
        world.h_other.pk,
    }
    for row in body["results"]:
        assert "head_name" not in row
        assert "phone" not in row
        assert "address" not in row
    assert ids(api(world.leader, "households/", q=world.h2.head_name)) == set()
    assert ids(api(world.leader, "households/", q=world.h2.customer_number)) == {world.h2.pk}


def test_villager_sees_only_their_own_household(world):
    assert ids(api(world.villager, "households/")) == {world.h1.pk}
    assert api(world.villager, f"households/{world.h2.pk}/").status_code == 404
    assert ids(api(world.villager, "villages/")) == {world.village.pk}


def test_grid_manager_sees_only_their_grid(world):
    assert ids(api(world.manager, "households/")) == {world.h1.pk, world.h2.pk}
    assert api(world.manager, f"households/{world.h3.pk}/").status_code == 404
    assert ids(api(world.manager, "districts/")) == {world.d1.pk}
    assert ids(api(world.manager, "transformer-areas/")) == {world.ta1.pk}
    assert ids(api(world.manager, "segments/")) == {world.seg1.pk}
    assert ids(api(world.manager, "lines/")) == {world.line.pk}
    assert ids(api(world.manager, "villages/")) == {world.village.pk}


def test_staff_see_their_station_only(world):
    assert ids(api(world.staff, "districts/")) == {world.d1.pk, world.d2.pk}
    assert api(world.staff, f"districts/{world.d3.pk}/").status_code == 404
    assert ids(api(world.staff, "lines/", district=world.d2.pk)) == {world.line.pk}


def test_segments_list_has_length_in_metres(world):
    rows = api(world.staff, "segments/", line=world.line.pk).json()["results"]
    assert [r["seq"] for r in rows] == [1, 2]
    assert rows[0]["line_name"] == world.line.name
    assert rows[0]["voltage_kv"] == 10
    assert 1900 < rows[0]["length_m"] < 1940


def test_districts_list_counts_live_then_stored(world):
    row = api(world.staff, f"districts/{world.d1.pk}/").json()
    assert row["household_count"] == 2
    assert row["aquaculture_household_count"] == 1
    assert row["transformer_area_count"] == 1
    assert row["segment_count"] == 1
    assert 1900 < row["line_length_m"] < 1940
    assert row["counts_computed_at"] is None
    assert row["manager_name"] == "王经理"

    DistrictCounts.objects.create(
        district=world.d1,
        household_count=99,
        aquaculture_household_count=9,
        transformer_area_count=5,
        segment_count=4,
        line_length_m=1234.5,
        computed_at=timezone.now(),
    )
    row = api(world.staff, f"districts/{world.d1.pk}/").json()
    assert (row["household_count"], row["segment_count"], row["line_length_m"]) == (99, 4, 1234.5)
    assert row["counts_computed_at"] is not None


@pytest.mark.parametrize("name", LISTS)
def test_anonymous_is_refused(world, name):
    response = api(None, f"{name}/")
    assert response.status_code in (401, 403)
    assert "results" not in response.json()


@pytest.mark.parametrize("name", LISTS)
def test_nobody_writes_through_the_api(world, name):
    before = Household.objects.count()
    for user in (world.leader, world.staff):
        client = Client()
        client.force_login(user)
        assert client.post(f"/api/{name}/", {}, content_type="application/json").status_code == 405
        detail = f"/api/{name}/1/"
        for method in (client.put, client.patch, client.delete):
            assert method(detail, {}, content_type="application/json").status_code == 405
    assert Household.objects.count() == before


def test_leader_cannot_delete_a_household(world):
    client = Client()
    client.force_login(world.leader)
    response = client.delete(f"/api/households/{world.h1.pk}/")
    assert response.status_code == 405
    assert Household.objects.filter(pk=world.h1.pk).exists()
