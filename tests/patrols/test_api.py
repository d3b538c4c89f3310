"""/api/patrols/: the same rules as the services, through HTTP; database state is checked
after every request."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.utils import translation
from PIL import Image

from patrols.models import Notification, Report, ReportEvent, ReportPhoto
from patrols.notifications import deliver
from tests.factories import point
from tests.patrols.factories import ReportFactory, build_grid, image_file, tree_data

pytestmark = pytest.mark.django_db

REPORTS = "/api/patrols/reports/"


@pytest.fixture
def g():
    return build_grid()


def _zh(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


def _client(client, user):
    client.force_login(user)
    return client


def _submit(client, user, client_id=None, photos=(), **extra):
    body = {"client_id": str(client_id or uuid.uuid4()), **tree_data(), **extra}
    if photos:
        body["photos"] = list(photos)
    return _client(client, user).post(REPORTS, body, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_villager_submits_a_tree_obstacle_with_a_photo(client, g):
    response = _submit(client, g.villager, photos=[image_file()])
    assert response.status_code == 201, response.content
    body = response.json()
    report = Report.objects.get()
    assert body["id"] == report.pk
    assert report.reporter == g.villager and report.kind == "tree" and report.tree_count == 3
    assert body["in_zone"] is True
    assert body["distance_m"] == pytest.approx(3.0, abs=0.05)
    # The answer is a receipt (the report as lists show it, issue 12); the detail is a GET.
    assert body["segment_code"] == g.segment_east.code
    assert body["status"] == "submitted"
    body = client.get(f"{REPORTS}{report.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["segment"]["code"] == g.segment_east.code
    assert body["segment"]["line_name"] == g.line.name
    assert body["status_label"] == _zh(Report.Status.SUBMITTED.label) != "Submitted"
    assert len(body["photos"]) == 1 and body["photos"][0]["url"].startswith("/files/report-photo/")
    assert body["allowed_actions"] == []
    assert [e["action"] for e in body["events"]] == ["submit"]


def test_replayed_submission_returns_200_with_the_same_report(client, g):
    client_id = uuid.uuid4()
    first = _submit(client, g.villager, client_id=client_id)
    again = _submit(client, g.villager, client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Report.objects.count() == 1 and ReportEvent.objects.count() == 1


def test_same_client_id_with_other_content_is_422_and_changes_nothing(client, g):
    client_id = uuid.uuid4()
    _submit(client, g.villager, client_id=client_id)
    response = _submit(client, g.villager, client_id=client_id, note="另一个内容")
    assert response.status_code == 422
    assert "detail" in response.json()
    assert Report.objects.get().note == "杨树靠线"


def test_wrong_coordinate_is_a_clear_translated_error(client, g):
    response = _submit(client, g.villager, lon=0, lat=0)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert Report.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("tiff.jpg", "TIFF"),
        ("truncated.jpg", "TRUNCATED"),
    ],
)
def test_bad_photo_is_refused_and_nothing_is_written(client, g, name, payload):
    from django.core.files.uploadedfile import SimpleUploadedFile

    if payload == "TRUNCATED":
        content = image_file().read()[:200]
    else:
        buf = io.BytesIO()
        Image.new("RGB", (20, 20)).save(buf, format="TIFF")
        content = buf.getvalue()
    response = _submit(client, g.villager, photos=[SimpleUploadedFile(name, content)])
    assert response.status_code == 400
    assert "photos" in response.json()
    assert Report.objects.count() == 0 and ReportPhoto.objects.count() == 0


def test_villager_lists_only_own_reports(client, g):
    mine = ReportFactory(reporter=g.villager, district=g.district)
    ReportFactory(reporter=g.staff, district=g.district)
    body = _client(client, g.villager).get(REPORTS).json()
    assert [r["id"] for r in body["results"]] == [mine.pk]


def test_manager_list_is_scoped_and_filtered(client, g):
    tree = ReportFactory(district=g.district, kind="tree", in_zone=False)
    ReportFactory(district=g.district, kind="construction")
    ReportFactory(district=g.other_district)
    body = _client(client, g.manager).get(REPORTS, {"kind": "tree"}).json()
    assert [r["id"] for r in body["results"]] == [tree.pk]
    assert body["count"] == 1


def test_manager_of_another_grid_gets_404_and_changes_nothing(client, g):
    report = ReportFactory(district=g.district)
    c = _client(client, g.other_manager)
    assert c.get(f"{REPORTS}{report.pk}/").status_code == 404
    response = c.post(f"{REPORTS}{report.pk}/actions/", {"action": "confirm"})
    assert response.status_code == 404
    assert Report.objects.get(pk=report.pk).status == "submitted"


def test_villager_confirming_own_report_is_403(client, g):
    report = ReportFactory(district=g.district, reporter=g.villager)
    response = _client(client, g.villager).post(
        f"{REPORTS}{report.pk}/actions/", {"action": "confirm"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 403
    assert response.json()["detail"]
    assert Report.objects.get(pk=report.pk).status == "submitted"
    assert not ReportEvent.objects.filter(report=report).exists()


def test_forbidden_transition_is_409_with_a_translated_detail(client, g):
    report = ReportFactory(district=g.district, status="submitted")
    response = _client(client, g.staff).post(
        f"{REPORTS}{report.pk}/actions/",
        {"action": "verify", "note": "ok"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 409
    assert _zh(Report.Status.SUBMITTED.label) in response.json()["detail"]
    assert Report.objects.get(pk=report.pk).status == "submitted"


def test_staff_confirm_clear_and_verify_through_the_api(client, g):
    report = ReportFactory(
        district=g.district, reporter=g.villager, segment=g.segment_east, distance_m=3.0
    )
    c = _client(client, g.staff)
    url = f"{REPORTS}{report.pk}/actions/"
    body = c.post(url, {"action": "confirm", "note": "属实"}).json()
    assert body["status"] == "confirmed"
    assert "clear" in body["allowed_actions"]
    response = c.post(
        url,
        {"action": "clear", "cleared_by": "self", "trees_removed": 2, "photos": [image_file()]},
    )
    assert response.status_code == 200, response.content
    # Four eyes: the clearing's recorder is refused, and told why; a colleague verifies
    # with a second person present.
    response = c.post(url, {"action": "verify", "note": "已复查", "witness": "王建国"})
    assert response.status_code == 403
    assert "verify" not in c.get(f"{REPORTS}{report.pk}/").json()["allowed_actions"]
    assert "verify" in c.get(f"{REPORTS}{report.pk}/").json()["unavailable_actions"]
    c = _client(client, g.manager)
    response = c.post(url, {"action": "verify", "note": "已复查", "witness": "王建国"})
    assert response.json()["status"] == "verified", response.content
    report.refresh_from_db()
    assert (report.status, report.trees_removed, report.cleared_by) == ("verified", 2, "self")
    assert list(report.events.values_list("action", flat=True)) == ["confirm", "clear", "verify"]
    assert report.photos.get().stage == "clearing"


def test_reject_without_reason_is_400(client, g):
    report = ReportFactory(district=g.district)
    response = _client(client, g.manager).post(
        f"{REPORTS}{report.pk}/actions/", {"action": "reject"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "note" in response.json()
    assert Report.objects.get(pk=report.pk).status == "submitted"


def test_detail_offers_merge_candidates_within_the_merge_distance(client, g):
    a = ReportFactory(district=g.district, location=point(1000, 503))
    near = ReportFactory(district=g.district, location=point(1020, 503))
    ReportFactory(district=g.district, location=point(1100, 503))  # 100 m: too far
    ReportFactory(district=g.district, location=point(1005, 503), kind="construction")
    body = _client(client, g.manager).get(f"{REPORTS}{a.pk}/").json()
    assert [c["id"] for c in body["merge_candidates"]] == [near.pk]
    assert body["merge_candidates"][0]["distance_m"] == pytest.approx(20, abs=0.5)


def test_layer_is_geojson_filtered_by_bbox(client, g):
    inside = ReportFactory(
        district=g.district, location=point(500, 503), in_zone=True, segment=g.segment_west
    )
    ReportFactory(district=g.district, location=point(1500, 503))
    ReportFactory(district=g.other_district, location=point(4500, 503))
    sw, ne = point(400, 400), point(600, 600)
    response = _client(client, g.staff).get(
        "/api/patrols/layers/reports/",
        {"bbox": f"{sw.x},{sw.y},{ne.x},{ne.y}"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["id"] for f in data["features"]] == [inside.pk]
    props = data["features"][0]["properties"]
    assert props["kind_label"] == _zh(Report.Kind.TREE.label) != "Tree obstacle"
    assert props["in_zone"] is True and props["district"] == g.district.pk
    assert data["features"][0]["geometry"]["type"] == "Point"


def test_layer_never_shows_another_stations_reports(client, g):
    ReportFactory(district=g.other_district)
    data = json.loads(_client(client, g.staff).get("/api/patrols/layers/reports/").content)
    assert data["features"] == []


def test_bad_bbox_is_400(client, g):
    response = _client(client, g.staff).get("/api/patrols/layers/reports/", {"bbox": "1,2,x"})
    assert response.status_code == 400


def test_photo_is_served_only_to_readers_and_without_metadata(client, g):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 27.0, 1.0), 3: "E", 4: (112.0, 48.0, 2.0)})
    _submit(client, g.villager, photos=[image_file(exif=exif)])
    photo = ReportPhoto.objects.get()
    response = _client(client, g.manager).get(f"/files/report-photo/{photo.pk}/")
    assert response.status_code == 200
    served = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert served.format == "JPEG"
    assert dict(served.getexif()) == {}
    assert (
        _client(client, g.other_manager).get(f"/files/report-photo/{photo.pk}/").status_code == 404
    )


def test_notifications_list_and_read(client, g):
    report = ReportFactory(district=g.district, reporter=g.villager)
    event = ReportEvent.objects.create(
        report=report, actor=g.villager, action="submit", to_status="submitted"
    )
    deliver(event.pk)
    note = Notification.objects.get(recipient=g.manager)
    c = _client(client, g.manager)
    body = c.get("/api/patrols/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert [n["id"] for n in body["results"]] == [note.pk]
    assert body["results"][0]["read_at"] is None
    assert c.post(f"/api/patrols/notifications/{note.pk}/read/").status_code == 200
    assert Notification.objects.get(pk=note.pk).read_at is not None
    assert c.get("/api/patrols/notifications/", {"unread": "1"}).json()["count"] == 0
    other = _client(client, g.villager).post(f"/api/patrols/notifications/{note.pk}/read/")
    assert other.status_code == 403


def test_leader_reads_counts_but_cannot_act(client, g):
    report = ReportFactory(district=g.district)
    c = _client(client, g.leader)
    assert c.get("/api/patrols/counts/", {"level": "district"}).status_code == 200
    response = c.post(f"{REPORTS}{report.pk}/actions/", {"action": "confirm"})
    assert response.status_code == 403
    assert Report.objects.get(pk=report.pk).status == "submitted"


def test_schema_documents_the_patrols_endpoints(client, g):
    schema = _client(client, g.staff).get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/patrols/reports/", "/api/patrols/reports/{id}/",
        "/api/patrols/reports/{id}/actions/", "/api/patrols/layers/reports/",
        "/api/patrols/notifications/", "/api/patrols/counts/",
    ):  # fmt: skip
        assert path in schema["paths"], path
