"""Idempotent submission: a retry returns the first answer, the same id with other
content is refused and changes nothing, two racing retries still make one report."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection

from patrols.errors import InvalidInput, NotAllowed, OutsideGrid, PhotoRejected, ReplayMismatch
from patrols.models import Report, ReportEvent, ReportPhoto
from patrols.services import report_submit
from tests.patrols.factories import build_grid, image_file, tree_data


@pytest.fixture
def g(db):
    return build_grid()


def test_villager_submission_is_snapped_and_recorded_with_an_event(g):
    report, created = report_submit(
        reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(), photos=[image_file()]
    )
    assert created is True
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED
    assert report.segment == g.segment_east
    assert report.distance_m == pytest.approx(3.0, abs=0.05)
    assert report.in_zone is True
    assert (report.district, report.transformer_area, report.village) == (
        g.district,
        g.ta,
        g.village,
    )
    assert (report.tree_count, report.tree_distance_m) == (3, 2.5)
    assert list(report.events.values_list("action", "from_status", "to_status")) == [
        ("submit", "", "submitted")
    ]
    assert report.photos.get().stage == ReportPhoto.Stage.REPORT


def test_retry_with_same_id_and_content_returns_the_first_report(g):
    client_id = uuid.uuid4()
    first, created = report_submit(reporter=g.villager, client_id=client_id, data=tree_data())
    again, created_again = report_submit(
        reporter=g.villager, client_id=str(client_id), data=tree_data()
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Report.objects.count() == 1
    assert ReportEvent.objects.count() == 1


def test_same_id_with_other_content_is_refused_and_changes_nothing(g):
    client_id = uuid.uuid4()
    report_submit(reporter=g.villager, client_id=client_id, data=tree_data())
    with pytest.raises(ReplayMismatch):
        report_submit(reporter=g.villager, client_id=client_id, data=tree_data(tree_count=9))
    assert Report.objects.get().tree_count == 3
    assert ReportEvent.objects.count() == 1


def test_same_id_from_another_user_is_refused(g):
    client_id = uuid.uuid4()
    report_submit(reporter=g.villager, client_id=client_id, data=tree_data())
    with pytest.raises(ReplayMismatch):
        report_submit(reporter=g.staff, client_id=client_id, data=tree_data())
    assert Report.objects.get().reporter == g.villager


def test_a_retry_with_the_same_photo_is_a_replay_but_another_photo_is_not(g):
    client_id = uuid.uuid4()
    report_submit(reporter=g.villager, client_id=client_id, data=tree_data(), photos=[image_file()])
    _, created = report_submit(
        reporter=g.villager, client_id=client_id, data=tree_data(), photos=[image_file()]
    )
    assert created is False
    with pytest.raises(ReplayMismatch):
        report_submit(
            reporter=g.villager, client_id=client_id, data=tree_data(),
            photos=[image_file(color="blue")],
        )  # fmt: skip
    assert ReportPhoto.objects.count() == 1


def test_a_broken_photo_writes_nothing(g):
    broken = image_file()
    broken = type(broken)("p.jpg", broken.read()[:100], content_type="image/jpeg")
    with pytest.raises(PhotoRejected):
        report_submit(
            reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(),
            photos=[image_file(), broken],
        )  # fmt: skip
    assert Report.objects.count() == 0
    assert ReportPhoto.objects.count() == 0


def test_nothing_found_is_recorded_as_a_patrol(g):
    report, _ = report_submit(
        reporter=g.villager, client_id=uuid.uuid4(),
        data={"kind": "nothing_found", **{k: tree_data()[k] for k in ("lon", "lat")}},
    )  # fmt: skip
    assert Report.objects.get(pk=report.pk).status == Report.Status.RECORDED


def test_construction_needs_its_type(g):
    data = {**tree_data(), "kind": "construction"}
    with pytest.raises(InvalidInput) as err:
        report_submit(reporter=g.villager, client_id=uuid.uuid4(), data=data)
    assert err.value.field == "construction_kind"
    assert Report.objects.count() == 0


def test_report_outside_the_station_grid_is_refused(g):
    with pytest.raises(OutsideGrid):
        report_submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(dx=5000, dy=503))
    assert Report.objects.count() == 0


def test_leader_cannot_submit(g):
    with pytest.raises(NotAllowed):
        report_submit(reporter=g.leader, client_id=uuid.uuid4(), data=tree_data())
    assert Report.objects.count() == 0


def test_missing_location_uses_the_photos_exif_gps(g):
    from PIL import Image

    from tests.factories import point

    p = point(1000, 503)
    exif = Image.Exif()
    exif.get_ifd(0x8825).update(
        {
            1: "N", 2: _dms(p.y), 3: "E", 4: _dms(p.x),
        }
    )  # fmt: skip
    data = {k: v for k, v in tree_data().items() if k not in ("lon", "lat", "location_source")}
    report, _ = report_submit(
        reporter=g.villager, client_id=uuid.uuid4(), data=data, photos=[image_file(exif=exif)]
    )
    report.refresh_from_db()
    assert report.location_source == Report.LocationSource.EXIF
    assert report.location.distance(p) == pytest.approx(0, abs=1e-5)
    assert report.segment == g.segment_east


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (float(d), float(m), s)


@pytest.mark.django_db(transaction=True)
def test_two_racing_retries_make_one_report():
    g = build_grid()
    client_id = uuid.uuid4()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def submit():
        try:
            barrier.wait(timeout=10)
            results.append(
                report_submit(reporter=g.villager, client_id=client_id, data=tree_data())
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert len({report.pk for report, _ in results}) == 1
    assert Report.objects.filter(client_id=client_id).count() == 1
    assert ReportEvent.objects.count() == 1


def test_replay_a_week_later_is_still_recognised(g):
    import datetime as dt

    import time_machine

    client_id = uuid.uuid4()
    first, _ = report_submit(reporter=g.villager, client_id=client_id, data=tree_data())
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=8)):
        again, created = report_submit(reporter=g.villager, client_id=client_id, data=tree_data())
    assert (again.pk, created) == (first.pk, False)
    assert Report.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_racing_http_posts_make_one_report(live_server):
    import json
    import urllib.error
    import urllib.request

    from rest_framework.authtoken.models import Token

    g = build_grid()
    body = json.dumps({"client_id": str(uuid.uuid4()), **tree_data()}).encode()
    token = Token.objects.create(user=g.villager).key  # what /api/auth/token/ hands out
    barrier = threading.Barrier(2)
    answers = []

    def post():
        request = urllib.request.Request(  # noqa: S310 - the live test server
            f"{live_server.url}/api/patrols/reports/", data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )  # fmt: skip
        barrier.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - test server
                answers.append((response.status, json.loads(response.read())["id"]))
        except urllib.error.HTTPError as err:
            answers.append((err.code, err.read()))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(status for status, _ in answers) == [200, 201]
    assert len({report_id for _, report_id in answers}) == 1
    assert Report.objects.count() == 1
    assert ReportEvent.objects.count() == 1
