"""Idempotent submission: a retry returns the first answer, the same id with other
content is refused and changes nothing, two racing retries still make one report."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from patrols.errors import InvalidInput, NotAllowed, OutsideGrid, PhotoRejected, ReplayMismatch
from patrols.models import Report, ReportEvent, ReportPhoto
from tests.patrols.factories import build_grid, image_file, submit, tree_data


@pytest.fixture
def g(db):
    return build_grid()


def test_villager_submission_is_snapped_and_recorded_with_an_event(g):
    report, created = submit(
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
    first, created = submit(reporter=g.villager, client_id=client_id, data=tree_data())
    again, created_again = submit(reporter=g.villager, client_id=str(client_id), data=tree_data())
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Report.objects.count() == 1
    assert ReportEvent.objects.count() == 1


def test_same_id_with_other_content_is_refused_and_changes_nothing(g):
    client_id = uuid.uuid4()
    submit(reporter=g.villager, client_id=client_id, data=tree_data())
    with pytest.raises(ReplayMismatch):
        submit(reporter=g.villager, client_id=client_id, data=tree_data(tree_count=9))
    assert Report.objects.get().tree_count == 3
    assert ReportEvent.objects.count() == 1


def test_same_id_from_another_user_is_refused(g):
    client_id = uuid.uuid4()
    submit(reporter=g.villager, client_id=client_id, data=tree_data())
    with pytest.raises(ReplayMismatch):
        submit(reporter=g.staff, client_id=client_id, data=tree_data())
    assert Report.objects.get().reporter == g.villager


def test_a_retry_with_the_same_photo_is_a_replay_but_another_photo_is_not(g):
    client_id = uuid.uuid4()
    submit(reporter=g.villager, client_id=client_id, data=tree_data(), photos=[image_file()])
    _, created = submit(
        reporter=g.villager, client_id=client_id, data=tree_data(), photos=[image_file()]
    )
    assert created is False
    with pytest.raises(ReplayMismatch):
        submit(
            reporter=g.villager, client_id=client_id, data=tree_data(),
            photos=[image_file(color="blue")],
        )  # fmt: skip
    assert ReportPhoto.objects.count() == 1


def test_a_broken_photo_writes_nothing(g):
    broken = image_file()
    broken = type(broken)("p.jpg", broken.read()[:100], content_type="image/jpeg")
    with pytest.raises(PhotoRejected):
        submit(
            reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(),
            photos=[image_file(), broken],
        )  # fmt: skip
    assert Report.objects.count() == 0
    assert ReportPhoto.objects.count() == 0


def test_nothing_found_is_recorded_as_a_patrol(g):
    report, _ = submit(
        reporter=g.villager, client_id=uuid.uuid4(),
        data={"kind": "nothing_found", **{k: tree_data()[k] for k in ("lon", "lat")}},
    )  # fmt: skip
    assert Report.objects.get(pk=report.pk).status == Report.Status.RECORDED


def test_construction_needs_its_type(g):
    data = {**tree_data(), "kind": "construction"}
    with pytest.raises(InvalidInput) as err:
        submit(reporter=g.villager, client_id=uuid.uuid4(), data=data)
    assert err.value.field == "construction_kind"
    assert Report.objects.count() == 0


def test_report_outside_the_station_grid_is_refused(g):
    with pytest.raises(OutsideGrid):
        submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(dx=5000, dy=503))
    assert Report.objects.count() == 0


def test_leader_cannot_submit(g):
    with pytest.raises(NotAllowed):
        submit(reporter=g.leader, client_id=uuid.uuid4(), data=tree_data())
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
    report, _ = submit(
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

    def retry():
        try:
            barrier.wait(timeout=10)
            results.append(submit(reporter=g.villager, client_id=client_id, data=tree_data()))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(2)]
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
    first, _ = submit(reporter=g.villager, client_id=client_id, data=tree_data())
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=8)):
        again, created = submit(reporter=g.villager, client_id=client_id, data=tree_data())
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


# --- A phone whose clock is wrong ---------------------------------------------------------


def _phone_time(offset: dt.timedelta) -> str:
    return (timezone.now() + offset).isoformat()


@pytest.mark.parametrize(
    "phone_clock_off",
    [
        dt.timedelta(hours=-3),
        dt.timedelta(hours=5),
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC) - timezone.now(),
    ],
    ids=["three-hours-behind", "five-hours-ahead", "reset-to-2000"],
)
def test_a_wrong_phone_clock_is_corrected_by_the_time_it_sent(g, phone_clock_off):
    """Written five minutes before sending, by a clock that is off: stored five minutes
    before it arrived, by the server's clock, whatever the phone's clock said."""
    report, created = submit(
        reporter=g.villager, client_id=uuid.uuid4(),
        data=tree_data(
            submitted_at=_phone_time(phone_clock_off - dt.timedelta(minutes=5)),
            sent_at=_phone_time(phone_clock_off),
        ),
    )  # fmt: skip
    assert created
    report.refresh_from_db()
    written = report.received_at - report.submitted_at
    assert dt.timedelta(minutes=4, seconds=50) < written < dt.timedelta(minutes=5, seconds=10)


def test_a_retry_measures_the_clock_again_and_is_still_a_replay(g):
    client_id = uuid.uuid4()
    written = _phone_time(dt.timedelta(hours=-3, minutes=-5))
    first, _ = submit(
        reporter=g.villager, client_id=client_id,
        data=tree_data(submitted_at=written, sent_at=_phone_time(dt.timedelta(hours=-3))),
    )  # fmt: skip
    again, created = submit(
        reporter=g.villager, client_id=client_id,
        data=tree_data(
            submitted_at=written, sent_at=_phone_time(dt.timedelta(hours=-3, seconds=40))
        ),
    )  # fmt: skip
    assert (again.pk, created) == (first.pk, False)
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        # without the sending time, a report dated an hour ahead is refused as before
        {"submitted_at": "+1h"},
        # with it, what stays ahead after the correction is refused too
        {"submitted_at": "+1h", "sent_at": "+0h"},
        # a phone clock before the ledger's first year is corrected, a written time that
        # stays before it after the correction is not
        {"submitted_at": "1900-01-01T00:00:00Z", "sent_at": "+0h"},
        # out of any calendar once corrected: refused, never a server error
        {"submitted_at": "9999-12-31T23:59:59Z", "sent_at": "0001-01-01T00:00:00Z"},
    ],
)
def test_a_time_ahead_or_outside_the_ledger_after_correction_is_refused(g, data):
    resolved = {
        k: _phone_time(dt.timedelta(hours=int(v[1:-1]))) if v.startswith("+") else v
        for k, v in data.items()
    }
    with pytest.raises(ValidationError) as refused:
        submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(**resolved))
    assert "submitted_at" in refused.value.detail
    assert Report.objects.count() == 0
