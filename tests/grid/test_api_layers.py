"""GeoJSON map layers: /api/layers/<name>/, built in PostGIS, scoped, bbox/district."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from houhu.grid.models import District, DistrictCounts, Household, Segment
from tests.grid.factories import LAT_LINE, build_world

pytestmark = pytest.mark.django_db

LAYERS = ["districts", "transformer-areas", "lines", "segments", "households"]


@pytest.fixture
def world():
    return build_world()


def get_layer(user, name: str, lang: str = "en", **params):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(f"/api/layers/{name}/", params, HTTP_ACCEPT_LANGUAGE=lang)


def features(response) -> dict[int, dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    body = json.loads(response.content)
    assert body["type"] == "FeatureCollection"
    return {f["properties"]["id"]: f for f in body["features"]}


def test_segment_crossing_the_bbox_edge_is_included_and_one_outside_is_not(world):
    # The box covers the middle of seg1 only: seg1 crosses both its west and east edges
    # (not contained in it), seg2 starts 0.005 degrees east of it.
    bbox = f"112.81,{LAT_LINE - 0.001},112.815,{LAT_LINE + 0.001}"
    got = features(get_layer(world.staff, "segments", bbox=bbox))
    assert set(got) == {world.seg1.pk}

    seg = got[world.seg1.pk]
    assert seg["geometry"] == {
        "type": "LineString",
        "coordinates": [[112.8, LAT_LINE], [112.82, LAT_LINE]],
    }
    props = seg["properties"]
    assert props["code"] == world.seg1.code
    assert props["line"] == world.line.pk
    assert props["line_name"] == world.line.name
    assert props["seq"] == 1
    assert props["voltage_kv"] == 10
    assert props["district"] == world.d1.pk
    # 0.02 degrees of longitude at 30.455 N on the spheroid: ~1,919 m.
    assert 1900 < props["length_m"] < 1940


def test_line_crossing_the_bbox_is_included_in_the_lines_layer(world):
    bbox = f"112.81,{LAT_LINE - 0.001},112.815,{LAT_LINE + 0.001}"
    got = features(get_layer(world.staff, "lines", bbox=bbox))
    assert set(got) == {world.line.pk}
    assert got[world.line.pk]["properties"] == {
        "id": world.line.pk,
        "code": world.line.code,
        "name": world.line.name,
        "voltage_kv": 10,
    }
    assert features(get_layer(world.staff, "lines", bbox="112.0,30.0,112.1,30.1")) == {}


def test_district_polygon_overlapping_the_bbox_is_included(world):
    got = features(get_layer(world.staff, "districts", bbox="112.81,30.44,112.815,30.455"))
    assert set(got) == {world.d1.pk}


def test_households_layer_bbox_and_coordinates_rounded_to_six_decimals(world):
    got = features(get_layer(world.staff, "households", bbox="112.811,30.461,112.8125,30.4625"))
    assert set(got) == {world.h1.pk, world.h2.pk}
    assert got[world.h1.pk]["geometry"]["coordinates"] == [112.811235, 30.461235]
    assert got[world.h1.pk]["properties"] == {
        "id": world.h1.pk,
        "customer_number": world.h1.customer_number,
        "head_name": world.h1.head_name,
        "village": world.village.pk,
        "transformer_area": world.ta1.pk,
        "district": world.d1.pk,
        "is_aquaculture": False,
    }
    assert got[world.h2.pk]["properties"]["is_aquaculture"] is True


def test_district_filter_keeps_one_grid(world):
    assert set(features(get_layer(world.staff, "segments", district=world.d2.pk))) == {
        world.seg2.pk
    }
    assert set(features(get_layer(world.staff, "households", district=world.d1.pk))) == {
        world.h1.pk,
        world.h2.pk,
    }
    assert set(features(get_layer(world.staff, "transformer-areas", district=world.d2.pk))) == {
        world.ta2.pk
    }
    assert set(features(get_layer(world.staff, "lines", district=world.d2.pk))) == {world.line.pk}


def test_district_filter_outside_the_users_scope_gives_an_empty_layer(world):
    # Grid 3 belongs to another station: staff of this station get nothing, not a 404
    # that would confirm the grid exists.
    assert features(get_layer(world.staff, "households", district=world.d3.pk)) == {}


@pytest.mark.parametrize(
    "bbox",
    [
        "1,2,3",
        "a,b,c,d",
        "112.9,30.4,112.8,30.5",
        "112.8,30.4,112.9,nan",
        "200,30,201,31",
        "1,2,3,4,5",
    ],
)
def test_malformed_bbox_is_a_400_with_a_message(world, bbox):
    response = get_layer(world.staff, "segments", bbox=bbox)
    assert response.status_code == 400
    # The one error shape (houhu.lib.errors): the field's list, its first message, a code.
    assert set(response.json()) == {"detail", "code", "bbox"}


def test_malformed_bbox_message_is_translated(world):
    en = get_layer(world.staff, "households", lang="en", bbox="1,2,3")
    zh = get_layer(world.staff, "households", lang="zh-hans", bbox="1,2,3")
    assert en.json()["bbox"] == [
        "bbox must be four numbers: minLon,minLat,maxLon,maxLat (WGS-84 degrees)."
    ]
    assert en.json()["detail"] == en.json()["bbox"][0]
    assert zh.status_code == 400
    assert "四个数" in zh.json()["bbox"][0]


@pytest.mark.parametrize("district", ["abc", "1.5", "-3"])
def test_malformed_district_is_a_400(world, district):
    response = get_layer(world.staff, "districts", district=district)
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "code", "district"}


def test_districts_layer_properties_with_live_counts(world):
    got = features(get_layer(world.staff, "districts"))
    assert set(got) == {world.d1.pk, world.d2.pk}
    props = got[world.d1.pk]["properties"]
    assert props == {
        "id": world.d1.pk,
        "code": world.d1.code,
        "name": world.d1.name,
        "station": world.station.pk,
        "station_name": world.station.name,
        "manager_name": "王经理",
        "manager_phone": "",
        "household_count": 2,
        "aquaculture_household_count": 1,
        "transformer_area_count": 1,
    }
    assert got[world.d1.pk]["geometry"]["type"] == "Polygon"
    assert got[world.d2.pk]["properties"]["manager_name"] is None


def test_districts_layer_reads_stored_counts_when_there_are_some(world):
    from django.utils import timezone

    DistrictCounts.objects.create(
        district=world.d1,
        household_count=40,
        aquaculture_household_count=7,
        transformer_area_count=3,
        segment_count=2,
        line_length_m=100.0,
        computed_at=timezone.now(),
    )
    got = features(get_layer(world.staff, "districts"))
    assert got[world.d1.pk]["properties"]["household_count"] == 40
    assert got[world.d1.pk]["properties"]["transformer_area_count"] == 3
    assert got[world.d2.pk]["properties"]["household_count"] == 1  # no row: live


def test_transformer_areas_layer_counts_households(world):
    got = features(get_layer(world.manager, "transformer-areas"))
    assert got == {
        world.ta1.pk: {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [112.81, 30.46]},
            "properties": {
                "id": world.ta1.pk,
                "code": world.ta1.code,
                "name": world.ta1.name,
                "district": world.d1.pk,
                "household_count": 2,
            },
        }
    }


# --- Who sees what ----------------------------------------------------------------------


def test_villager_sees_only_their_own_household_and_their_grid(world):
    assert set(features(get_layer(world.villager, "households"))) == {world.h1.pk}
    assert set(features(get_layer(world.villager, "districts"))) == {world.d1.pk}
    assert set(features(get_layer(world.villager, "segments"))) == {world.seg1.pk}
    # Asking for a neighbour's grid does not widen the scope.
    assert features(get_layer(world.villager, "households", district=world.d2.pk)) == {}


def test_grid_manager_sees_only_their_grid(world):
    assert set(features(get_layer(world.manager, "households"))) == {world.h1.pk, world.h2.pk}
    assert set(features(get_layer(world.manager, "segments"))) == {world.seg1.pk}
    assert set(features(get_layer(world.manager, "districts"))) == {world.d1.pk}


def test_staff_see_their_station_and_leaders_their_county(world):
    assert set(features(get_layer(world.staff, "households"))) == {
        world.h1.pk,
        world.h2.pk,
        world.h3.pk,
    }
    assert set(features(get_layer(world.leader, "districts"))) == {
        world.d1.pk,
        world.d2.pk,
        world.d3.pk,
    }


def test_leader_gets_households_without_names(world):
    got = features(get_layer(world.leader, "households"))
    assert set(got) == {world.h1.pk, world.h2.pk, world.h3.pk, world.h_other.pk}
    assert all(f["properties"]["head_name"] is None for f in got.values())
    assert got[world.h1.pk]["properties"]["customer_number"] == world.h1.customer_number
    assert "phone" not in json.dumps(list(got.values()))


@pytest.mark.parametrize("layer", LAYERS)
def test_anonymous_is_refused_every_layer(world, layer):
    response = get_layer(None, layer)
    assert response.status_code in (401, 403)
    assert "features" not in response.json()


@pytest.mark.parametrize("layer", LAYERS)
def test_nobody_writes_through_a_layer(world, layer):
    client = Client()
    client.force_login(world.leader)
    before = (District.objects.count(), Household.objects.count(), Segment.objects.count())
    for method in (client.post, client.put, client.patch, client.delete):
        response = method(f"/api/layers/{layer}/", {}, content_type="application/json")
        assert response.status_code == 405
    after = (District.objects.count(), Household.objects.count(), Segment.objects.count())
    assert before == after


def test_empty_scope_gives_an_empty_feature_collection(world):
    from tests.factories import UserFactory

    nobody = UserFactory(role="grid_manager")  # manages no grid yet
    response = get_layer(nobody, "households")
    assert json.loads(response.content) == {"type": "FeatureCollection", "features": []}


def test_layer_is_gzipped_once_for_a_client_that_accepts_it(world):
    import gzip

    client = Client()
    client.force_login(world.staff)
    plain = client.get("/api/layers/households/")
    zipped = client.get("/api/layers/households/", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain.content
    assert len(features(plain)) == 3
