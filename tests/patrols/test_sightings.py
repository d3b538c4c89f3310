"""Before sending: the same hazard already reported within 30 m (GET /api/patrols/nearby/),
and "I see it too" (POST /api/patrols/sightings/): a sighting row, not a second report."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone

from patrols.models import Report, ReportSighting
from tests.factories import DistrictFactory, HouseholdFactory, TransformerAreaFactory, villager_for
from tests.patrols.factories import ReportFactory

pytestmark = pytest.mark.django_db
M = 1 / 110_900  # one metre of latitude, in degrees


@pytest.fixture
def place():
    district = DistrictFactory()
    x, y = district.boundary.centroid.coords
    household = HouseholdFactory(transformer_area=TransformerAreaFactory(district=district))
    other = villager_for(
        HouseholdFactory(transformer_area=TransformerAreaFactory(district=district))
    )
    report = ReportFactory(
        reporter=other,
        district=district,
        kind=Report.Kind.TREE,
        location=Point(x, y, srid=4326),
        note="张家门口的杨树",
        received_at=timezone.now() - dt.timedelta(hours=5),
    )
    return {"x": x, "y": y, "district": district, "report": report, "me": villager_for(household)}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_nearby_tells_kind_distance_age_and_status_of_an_open_report_only(place):
    x, y = place["x"], place["y"]
    ReportFactory(
        district=place["district"], kind=Report.Kind.TREE, location=Point(x, y - 40 * M, srid=4326)
    )
    ReportFactory(
        district=place["district"], kind=Report.Kind.OTHER, location=Point(x, y, srid=4326)
    )
    ReportFactory(
        district=place["district"],
        kind=Report.Kind.TREE,
        status=Report.Status.VERIFIED,
        location=Point(x, y + 2 * M, srid=4326),
    )
    response = _client(place["me"]).get(
        "/api/patrols/nearby/", {"kind": "tree", "lon": x, "lat": y + 20 * M}
    )
    assert response.status_code == 200
    rows = response.json()
    assert [r["id"] for r in rows] == [place["report"].pk]  # not 60 m off, another kind or closed
    row = rows[0]
    assert set(row) == {
        "id",
        "kind",
        "kind_label",
        "status",
        "status_label",
        "distance_m",
        "age_hours",
    }
    assert 19 <= row["distance_m"] <= 21
    assert row["age_hours"] == 5
    assert "张家" not in response.content.decode()


def test_nearby_is_scoped_to_the_grids_the_user_sees(place):
    stranger = villager_for(HouseholdFactory())  # another grid
    response = _client(stranger).get(
        "/api/patrols/nearby/", {"kind": "tree", "lon": place["x"], "lat": place["y"]}
    )
    assert response.json() == []


def test_nearby_refuses_a_bad_place_or_kind(place):
    client = _client(place["me"])
    assert (
        client.get("/api/patrols/nearby/", {"kind": "tree", "lon": "x", "lat": 1}).status_code
        == 400
    )
    assert (
        client.get(
            "/api/patrols/nearby/", {"kind": "nothing_found", "lon": place["x"], "lat": place["y"]}
        ).status_code
        == 400
    )


def test_a_sighting_is_recorded_once_per_client_id_and_makes_no_report(place):
    client = _client(place["me"])
    body = {
        "client_id": str(uuid.uuid4()),
        "report": place["report"].pk,
        "lon": place["x"],
        "lat": place["y"] + 10 * M,
        "note": "还在",
    }
    first = client.post("/api/patrols/sightings/", body, content_type="application/json")
    again = client.post("/api/patrols/sightings/", body, content_type="application/json")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json() == again.json()
    sighting = ReportSighting.objects.get()
    assert sighting.report == place["report"] and sighting.by == place["me"]
    assert sighting.note == "还在"
    assert Report.objects.count() == 1

    # The same id with another report is refused, not overwritten.
    other = ReportFactory(
        district=place["district"],
        kind=Report.Kind.TREE,
        location=Point(place["x"], place["y"], srid=4326),
    )
    clash = client.post(
        "/api/patrols/sightings/", {**body, "report": other.pk}, content_type="application/json"
    )
    assert clash.status_code == 422
    assert ReportSighting.objects.count() == 1


def test_a_sighting_of_a_far_or_closed_report_is_refused(place):
    client = _client(place["me"])
    far = {
        "client_id": str(uuid.uuid4()),
        "report": place["report"].pk,
        "lon": place["x"],
        "lat": place["y"] + 60 * M,
    }
    assert (
        client.post("/api/patrols/sightings/", far, content_type="application/json").status_code
        == 400
    )
    Report.objects.filter(pk=place["report"].pk).update(status=Report.Status.VERIFIED)
    near = {**far, "lat": place["y"]}
    response = client.post("/api/patrols/sightings/", near, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["report"]
    assert ReportSighting.objects.count() == 0


def test_the_report_counts_its_sightings_for_whoever_reads_it(place):
    from houhu.accounts.models import User
    from tests.factories import UserFactory

    client = _client(place["me"])
    for lat in (5, 8):
        client.post(
            "/api/patrols/sightings/",
            {
                "client_id": str(uuid.uuid4()),
                "report": place["report"].pk,
                "lon": place["x"],
                "lat": place["y"] + lat * M,
            },
            content_type="application/json",
        )
    staff = UserFactory(role=User.Role.STAFF, station=place["district"].station)
    detail = _client(staff).get(f"/api/patrols/reports/{place['report'].pk}/").json()
    assert detail["sighting_count"] == 2
    mine = _client(place["report"].reporter).get(f"/api/patrols/reports/{place['report'].pk}/")
    assert mine.json()["sighting_count"] == 2
