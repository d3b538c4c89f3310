"""The one GeoJSON builder: every map layer is a FeatureCollection built by PostGIS, with
its features in id order and its SELECT's columns as properties."""

from __future__ import annotations

import json

import pytest

from houhu.lib import geojson
from tests.factories import villager_for
from tests.pledges.factories import SegmentAssignmentFactory, World

pytestmark = pytest.mark.django_db


def test_a_select_becomes_a_feature_collection_in_id_order():
    text = geojson.from_sql(
        "SELECT * FROM (VALUES (2, 'b', ST_MakePoint(112.8, 30.4)), "
        "(1, 'a', ST_MakePoint(112.9, 30.5))) AS v(id, name, geom)"
    )
    data = json.loads(text)
    assert data["type"] == "FeatureCollection"
    assert [f["properties"] for f in data["features"]] == [
        {"id": 1, "name": "a"},
        {"id": 2, "name": "b"},
    ]
    assert data["features"][0]["geometry"] == {"type": "Point", "coordinates": [112.9, 30.5]}


def test_an_empty_select_is_an_empty_collection():
    assert json.loads(geojson.from_sql("SELECT 1 AS id, NULL::geometry AS geom WHERE false")) == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_a_villagers_own_map_is_built_in_postgis_too(client):
    world = World()
    villager = villager_for(world.h1)
    held = SegmentAssignmentFactory(user=villager, person_name="", district=world.d1)
    client.force_login(villager)
    response = client.get("/api/pledges/mine/")
    assert response["Content-Type"] == "application/geo+json"
    features = json.loads(response.content)["features"]
    assert [(f["properties"]["scope"], f["properties"]["assignment_id"]) for f in features] == [
        ("segment", held.pk),
        ("home", None),
    ]
    assert features[0]["properties"]["label"] == held.segment.code
