"""/api/layers/around-me/: the villager's own map without a basemap (houhu.grid.surroundings)."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString, Point
from django.test import Client

from houhu.accounts.models import User
from tests.factories import (
    DistrictFactory,
    HouseholdFactory,
    LineFactory,
    TransformerAreaFactory,
    UserFactory,
    VillageFactory,
    villager_for,
)

pytestmark = pytest.mark.django_db
M = 1 / 110_900  # a metre of latitude in degrees


@pytest.fixture
def home():
    district = DistrictFactory()
    x, y = district.boundary.centroid.coords
    area = TransformerAreaFactory(district=district)
    village = VillageFactory(
        station=district.station, name="张家窑村", centre=Point(x, y, srid=4326)
    )
    mine = HouseholdFactory(transformer_area=area, village=village, location=Point(x, y, srid=4326))
    near = [
        HouseholdFactory(
            transformer_area=area, head_name="邻居王", location=Point(x, y + i * 50 * M, srid=4326)
        )
        for i in (1, 2, 3)
    ]
    HouseholdFactory(transformer_area=area, location=Point(x, y + 900 * M, srid=4326))  # far
    LineFactory(
        station=district.station,
        name="10kV关庙线",
        geom=LineString((x - 0.003, y + 20 * M), (x + 0.003, y + 20 * M), srid=4326),
    )
    LineFactory(
        station=district.station,
        name="远处的线",
        geom=LineString((x - 0.003, y + 0.02), (x + 0.003, y + 0.02), srid=4326),
    )
    return {"villager": villager_for(mine), "near": near, "district": district}


def test_villager_sees_grid_village_houses_without_names_lines_and_home(home):
    client = Client()
    client.force_login(home["villager"])
    response = client.get("/api/layers/around-me/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    features = response.json()["features"]
    by_layer: dict[str, list] = {}
    for f in features:
        by_layer.setdefault(f["properties"]["layer"], []).append(f)
    assert len(by_layer["household"]) == 3  # the three within 400 m, not the far one, not mine
    assert all(set(f["properties"]) == {"layer"} for f in by_layer["household"])
    assert [f["properties"]["name"] for f in by_layer["line"]] == ["10kV关庙线"]
    assert [f["properties"]["name"] for f in by_layer["village"]] == ["张家窑村"]
    assert len(by_layer["home"]) == 1 and len(by_layer["district"]) == 1
    body = response.content.decode()
    assert "邻居王" not in body and home["near"][0].customer_number not in body


def test_only_a_villager_with_a_home_has_surroundings(home):
    staff = UserFactory(role=User.Role.STAFF, station=home["district"].station)
    client = Client()
    client.force_login(staff)
    assert client.get("/api/layers/around-me/").status_code == 404
    assert Client().get("/api/layers/around-me/").status_code in (401, 403)
