"""GET /api/me/: who the page's JavaScript is talking for."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.grid.factories import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def me(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get("/api/me/", HTTP_ACCEPT_LANGUAGE="en")


def test_villager_me(world):
    body = me(world.villager).json()
    assert body == {
        "id": world.villager.pk,
        "username": world.villager.username,
        "display_name": world.villager.display_name,
        "role": "villager",
        "role_label": "Villager",
        "station": None,
        "county": None,
        "household": world.h1.pk,
        "districts": [world.d1.pk],
        "read_only": False,
    }


def test_grid_manager_me_lists_their_grid(world):
    body = me(world.manager).json()
    assert body["role"] == "grid_manager"
    assert body["station"] == world.station.pk
    assert body["districts"] == [world.d1.pk]


def test_leader_me_is_read_only_and_sees_the_county(world):
    body = me(world.leader).json()
    assert body["read_only"] is True
    assert body["districts"] == sorted([world.d1.pk, world.d2.pk, world.d3.pk])


def test_anonymous_me_is_refused():
    response = me(None)
    assert response.status_code in (401, 403)
    assert "username" not in response.json()


def test_me_cannot_be_changed(world):
    client = Client()
    client.force_login(world.villager)
    response = client.put("/api/me/", {"role": "admin"}, content_type="application/json")
    assert response.status_code == 405
    world.villager.refresh_from_db()
    assert world.villager.role == "villager"
