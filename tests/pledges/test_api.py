"""The REST API: thin views over the services; database state checked after each request."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.contrib.gis.geos import LineString
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from pledges.models import Assignment, CompactVersion, Pledge
from tests.factories import SegmentFactory, villager_for

pytestmark = pytest.mark.django_db
API = "/api/pledges"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def as_user(client, user):
    client.force_login(user)
    return client


def test_villager_signs_online_through_the_api(client, world):
    villager = villager_for(world.h1)
    r = as_user(client, villager).post(
        f"{API}/pledges/",
        {"household": world.h1.pk, "version": world.version.pk, "confirm": True},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    pledge = Pledge.objects.get()
    assert (pledge.household, pledge.method, pledge.signed_by) == (world.h1, "online", villager)
    assert r.json()["id"] == pledge.pk


def test_villager_cannot_sign_for_another_household_via_api(client, world):
    r = as_user(client, villager_for(world.h1)).post(
        f"{API}/pledges/",
        {"household": world.h2.pk, "version": world.version.pk, "confirm": True},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert not Pledge.objects.exists()


def test_double_submission_gives_409_and_one_pledge(client, world):
    as_user(client, villager_for(world.h1))
    body = {"household": world.h1.pk, "version": world.version.pk, "confirm": True}
    first = client.post(f"{API}/pledges/", body, content_type="application/json")
    second = client.post(f"{API}/pledges/", body, content_type="application/json")
    assert (first.status_code, second.status_code) == (201, 409)
    # Simplified Chinese by default, English on request.
    assert second.json()["detail"] == "该户已签过此版本的村规民约。"
    third = client.post(
        f"{API}/pledges/", body, content_type="application/json", headers={"accept-language": "en"}
    )
    assert third.json()["detail"] == (
        "This household has already signed this version of the compact."
    )
    assert Pledge.objects.count() == 1


def test_signing_without_confirm_is_400(client, world):
    r = as_user(client, villager_for(world.h1)).post(
        f"{API}/pledges/",
        {"household": world.h1.pk, "version": world.version.pk},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "confirmation_required"
    assert not Pledge.objects.exists()


def test_paper_signing_with_scan_and_corrupt_scan(client, world):
    as_user(client, world.m1)
    png = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(png, format="PNG")
    good = {
        "household": world.h1.pk,
        "version": world.version.pk,
        "method": "paper",
        "signatory": "户主",
        "witness": "台区经理",
        "signed_on": "2025-03-01",
    }
    bad = client.post(
        f"{API}/pledges/",
        {**good, "scan": SimpleUploadedFile("a.jpg", b"GIF89a broken", "image/jpeg")},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "bad_scan"
    assert not Pledge.objects.exists()
    ok = client.post(
        f"{API}/pledges/", {**good, "scan": SimpleUploadedFile("a.png", png.getvalue())}
    )
    assert ok.status_code == 201, ok.content
    pledge = Pledge.objects.get()
    assert pledge.scan.name.endswith(".jpg") and pledge.witness_name == "台区经理"


def test_villager_lists_only_their_own_pledges(client, world):
    from .factories import PledgeFactory

    PledgeFactory(household=world.h1, version=world.version)
    PledgeFactory(household=world.h2, version=world.version)
    r = as_user(client, villager_for(world.h1)).get(f"{API}/pledges/")
    assert [p["household"] for p in r.json()["results"]] == [world.h1.pk]


def test_withdraw_via_api_keeps_the_row(client, world):
    from .factories import PledgeFactory

    pledge = PledgeFactory(household=world.h1, version=world.version)
    r = as_user(client, world.m1).post(f"{API}/pledges/{pledge.pk}/withdraw/", {"note": "搬迁"})
    assert r.status_code == 200
    pledge.refresh_from_db()
    assert pledge.status == "withdrawn"


def test_staff_publishes_a_new_version_via_api(client, world):
    as_user(client, world.staff)
    r = client.post(f"{API}/compacts/{world.compact.pk}/new-version/", {})
    assert r.status_code == 201
    draft_id = r.json()["id"]
    assert len(r.json()["clauses"]) == 2
    r = client.post(
        f"{API}/versions/{draft_id}/publish/",
        {"effective_from": "2025-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "published"
    world.version.refresh_from_db()
    assert world.version.status == CompactVersion.Status.SUPERSEDED
    r = client.get(f"{API}/versions/in-force/?village={world.v1.pk}")
    assert r.json()["id"] == draft_id


def test_villager_cannot_see_drafts_or_publish(client, world):
    from .factories import CompactVersionFactory

    draft = CompactVersionFactory(compact=world.compact, number=2)
    as_user(client, villager_for(world.h1))
    ids = [v["id"] for v in client.get(f"{API}/versions/").json()["results"]]
    assert ids == [world.version.pk]
    assert client.post(f"{API}/versions/{draft.pk}/publish/", {}).status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.fixture
def seg(world):
    c = world.d1.boundary.centroid
    return SegmentFactory(
        district=world.d1,
        transformer_area=world.ta1,
        geom=LineString((c.x, c.y), (c.x + 0.005, c.y), srid=4326),
    )


def test_grid_manager_assigns_segments_via_api_and_sees_them_as_geojson(client, world, seg):
    as_user(client, world.m1)
    r = client.post(
        f"{API}/assignments/",
        {"scope": "segment", "segments": [seg.pk], "person_name": "王护线", "person_phone": "137"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["type"] == "FeatureCollection"
    a = Assignment.objects.get()
    assert (a.segment, a.person_name, a.created_by) == (seg, "王护线", world.m1)
    listed = client.get(f"{API}/assignments/").json()
    assert listed["results"]["features"][0]["geometry"]["type"] == "LineString"
    again = client.post(
        f"{API}/assignments/",
        {"scope": "segment", "segments": [seg.pk], "person_name": "李"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert Assignment.objects.count() == 1


def test_grid_manager_cannot_assign_outside_their_district_via_api(client, world, seg):
    r = as_user(client, world.m2).post(
        f"{API}/assignments/",
        {"scope": "segment", "segments": [seg.pk], "person_name": "王"},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert not Assignment.objects.exists()


def test_leader_cannot_assign(client, world, seg):
    r = as_user(client, world.leader).post(
        f"{API}/assignments/",
        {"scope": "segment", "segments": [seg.pk], "person_name": "王"},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert not Assignment.objects.exists()


def test_patch_with_impossible_coordinate_is_refused(client, world):
    r = as_user(client, world.staff).post(
        f"{API}/assignments/",
        {
            "scope": "patch",
            "person_name": "村干部",
            "polygon": {"type": "Polygon", "coordinates": [[[0, 0], [400, 0], [1, 95], [0, 0]]]},
        },
        content_type="application/json",
    )
    assert r.status_code == 400
    assert not Assignment.objects.exists()


def test_delete_ends_an_assignment_and_keeps_it(client, world, seg):
    from .factories import SegmentAssignmentFactory

    a = SegmentAssignmentFactory(segment=seg, valid_from=dt.date(2024, 1, 1))
    r = as_user(client, world.m1).delete(f"{API}/assignments/{a.pk}/")
    assert r.status_code == 204
    a.refresh_from_db()
    assert a.valid_until is not None


def test_layers_are_feature_collections_scoped_and_bbox_filtered(client, world, seg):
    from .factories import SegmentAssignmentFactory

    SegmentAssignmentFactory(segment=seg)
    as_user(client, world.m1)
    r = client.get(f"{API}/layers/segment-coverage/")
    assert r["Content-Type"] == "application/geo+json"
    fc = json.loads(r.content)
    assert [f["properties"]["id"] for f in fc["features"]] == [seg.pk]
    assert fc["features"][0]["properties"]["responsible"] is True
    far = client.get(f"{API}/layers/segment-coverage/?bbox=100,20,100.1,20.1")
    assert json.loads(far.content)["features"] == []
    bad = client.get(f"{API}/layers/segment-coverage/?bbox=1,2,3")
    assert bad.status_code == 400
    other = as_user(client, world.m2).get(f"{API}/layers/assignments/")
    assert json.loads(other.content)["features"] == []


def test_coverage_endpoint(client, world):
    from .factories import PledgeFactory

    PledgeFactory(household=world.h1, version=world.version)
    r = as_user(client, world.staff).get(f"{API}/coverage/?level=village")
    rows = {row["id"]: row for row in r.json()}
    assert rows[world.v1.pk]["households"] == 3 and rows[world.v1.pk]["signed"] == 1
    assert as_user(client, world.staff).get(f"{API}/coverage/?level=planet").status_code == 400


def test_csv_import_endpoint_reports_rejections_and_saves_nothing(client, world):
    data = (
        "customer_number,signed_on,signatory,witness\n"
        f"{world.h1.customer_number},2024-03-05,张大,王\n"
        "0000,2024-03-05,无名,王\n"
    ).encode()
    r = as_user(client, world.m1).post(
        f"{API}/import/",
        {"file": SimpleUploadedFile("roll.csv", data, "text/csv")},
        headers={"accept-language": "en"},
    )
    assert r.status_code == 400
    assert r.json()["rejected"] == [
        {"line": 3, "customer_number": "0000", "reasons": ["unknown customer number"]}
    ]
    assert not Pledge.objects.exists()


def test_derive_endpoint_refuses_outsiders_and_task_status_is_for_staff(client, world):
    r = as_user(client, world.m2).post(
        f"{API}/front-doors/derive/", {"village": world.v1.pk}, content_type="application/json"
    )
    assert r.status_code == 403
    assert as_user(client, villager_for(world.h1)).get(f"{API}/tasks/abc/").status_code == 403
    r = as_user(client, world.staff).get(f"{API}/tasks/00000000-0000-0000-0000-000000000000/")
    assert r.status_code == 200 and r.json()["state"] == "PENDING"


def test_schema_lists_the_pledges_endpoints(client, world):
    r = as_user(client, world.staff).get("/api/schema/?format=json")
    assert r.status_code == 200
    paths = json.loads(r.content)["paths"]
    for p in (
        "/api/pledges/compacts/",
        "/api/pledges/versions/{id}/publish/",
        "/api/pledges/pledges/",
        "/api/pledges/assignments/",
        "/api/pledges/layers/segment-coverage/",
        "/api/pledges/coverage/",
        "/api/pledges/tasks/{task_id}/",
        "/api/pledges/import/",
    ):
        assert p in paths, p


def test_clauses_of_a_draft_are_edited_but_published_ones_refuse(client, world):
    from .factories import ClauseFactory, CompactVersionFactory

    draft = CompactVersionFactory(compact=world.compact, number=2)
    clause = ClauseFactory(version=draft, number=1, text="草稿")
    as_user(client, world.staff)
    r = client.patch(
        f"{API}/clauses/{clause.pk}/", {"text": "改好的条款"}, content_type="application/json"
    )
    assert r.status_code == 200
    clause.refresh_from_db()
    assert clause.text == "改好的条款"
    frozen = world.version.clauses.first()
    r = client.patch(f"{API}/clauses/{frozen.pk}/", {"text": "x"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "version_frozen"
    assert client.delete(f"{API}/clauses/{frozen.pk}/").status_code == 400
    frozen.refresh_from_db()
    assert frozen.text != "x"
    assert client.delete(f"{API}/clauses/{clause.pk}/").status_code == 204
    assert not draft.clauses.exists()
    # A grid manager reads published clauses but cannot edit drafts (not visible to them).
    r = as_user(client, world.m1).patch(
        f"{API}/clauses/{frozen.pk}/", {"text": "y"}, content_type="application/json"
    )
    assert r.status_code == 403
