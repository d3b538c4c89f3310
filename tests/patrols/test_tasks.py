"""What follows a report and its workflow: notifications written in the same transaction,
thumbnails, e-mail and the grid's statistics recorded as outbox jobs that the relay
(houhu.outbox.relay) carries out once, after the commit."""

from __future__ import annotations

import io
import uuid

import pytest
from django.db import transaction
from PIL import Image

from houhu.accounts.models import User
from houhu.outbox.models import Job
from patrols.models import Notification, Report, ReportEvent, ReportPhoto
from patrols.notifications import deliver
from tests.conftest import run_outbox
from tests.factories import UserFactory
from tests.patrols.factories import build_grid, image_file, submit, transition, tree_data

pytestmark = pytest.mark.django_db


def test_submission_notifies_the_grid_manager_and_station_staff_in_its_own_transaction():
    g = build_grid()
    UserFactory(role=User.Role.STAFF, station=g.station, is_active=False)  # left the station
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    rows = Notification.objects.filter(report=report)
    # Not the other station's staff or manager, not an inactive account, not the reporter.
    assert {n.recipient for n in rows} == {g.manager, g.staff}
    assert {n.verb for n in rows} == {Notification.Verb.NEW_REPORT}
    assert all(str(report.pk) in n.message for n in rows)


def test_staff_filing_a_report_are_not_told_of_their_own():
    g = build_grid()
    report, _ = submit(reporter=g.staff, client_id=uuid.uuid4(), data=tree_data())
    assert list(Notification.objects.filter(report=report).values_list("recipient", flat=True)) == [
        g.manager.pk
    ]


def test_sms_hook_texts_each_person_once_with_an_idempotency_key(settings):
    settings.PATROLS_SMS_SENDER = "tests.patrols.test_tasks.fake_sms"
    SENT.clear()
    g = build_grid()
    for person, phone in ((g.manager, "13800000001"), (g.staff, "13800000002")):
        person.phone = phone
        person.save(update_fields=["phone"])
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    assert SENT == []  # after the commit, through the outbox
    run_outbox()
    assert sorted(p for p, _t, _k in SENT) == ["13800000001", "13800000002"]
    run_outbox()
    assert len(SENT) == 2  # done jobs are gone: nobody is texted twice
    keys = {k for _p, _t, k in SENT}
    assert keys == {
        f"houhu-notification-{n.pk}" for n in Notification.objects.filter(report=report)
    }


SENT: list[tuple[str, str, str]] = []


def fake_sms(*, phone: str, text: str, key: str) -> None:
    SENT.append((phone, text, key))


def test_a_rolled_back_submission_leaves_no_notification_and_no_job():
    g = build_grid()
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(
            reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(),
            photos=[image_file(size=(640, 480))],
        )  # fmt: skip
        assert Job.objects.count() == 2  # thumbnails, the grid's statistics
        raise RuntimeError("rolled back")
    assert not Report.objects.exists()
    assert not Notification.objects.exists()
    assert not Job.objects.exists()


def test_the_relay_makes_the_thumbnail_once(settings):
    settings.STATS_DEBOUNCE_SECONDS = 0
    g = build_grid()
    report, _ = submit(
        reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(),
        photos=[image_file(size=(640, 480))],
    )  # fmt: skip
    assert set(Job.objects.values_list("name", flat=True)) == {
        "patrols.make_thumbnails",
        "stats.refresh_district",
    }
    assert run_outbox() == 2
    assert not Job.objects.exists()
    assert run_outbox() == 0
    photo = ReportPhoto.objects.get(report=report)
    assert photo.thumbnail.name.endswith("-thumb.jpg")
    with photo.thumbnail.open("rb") as fh:
        thumb = Image.open(io.BytesIO(fh.read()))
    assert thumb.format == "JPEG" and max(thumb.size) == settings.PATROLS_THUMBNAIL_SIZE


def test_reporter_is_notified_when_staff_confirm():
    g = build_grid()
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    transition(report=report, action="confirm", by=g.staff, note="属实")
    confirm = ReportEvent.objects.get(report=report, action="confirm")
    assert Notification.objects.filter(
        recipient=g.villager, report=report, event=confirm, verb="status_changed"
    ).exists()
    assert Notification.objects.filter(report=report).count() == 3  # manager, staff, reporter


def test_delivering_an_event_again_adds_no_notification():
    g = build_grid()
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    event = ReportEvent.objects.get(report=report)
    first = sorted(Notification.objects.filter(event=event).values_list("pk", flat=True))
    assert sorted(deliver(event.pk)) == first


def test_email_goes_to_a_manager_with_an_address_when_enabled_once(settings, mailoutbox):
    settings.PATROLS_EMAIL_NOTIFICATIONS = True
    g = build_grid()
    g.manager.email = "manager@example.org"
    g.manager.save(update_fields=["email"])
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    event = ReportEvent.objects.get(report=report)
    assert mailoutbox == []  # not before the commit: an outbox job
    deliver(event.pk)  # a second delivery of the event is folded into the pending job
    assert Job.objects.filter(name="patrols.email_notification").count() == 1
    run_outbox()
    assert [m.to for m in mailoutbox] == [["manager@example.org"]]
    # The mail opens the report on the manager's map.
    assert f"/patrols/workspace/#report={report.pk}" in mailoutbox[0].body
    assert Notification.objects.get(event=event, recipient=g.manager).emailed_at is not None
    # Recorded again (an old Celery message, say): the mail is not sent twice.
    deliver(event.pk)
    run_outbox()
    assert len(mailoutbox) == 1


def test_no_email_when_disabled(settings, mailoutbox):
    settings.PATROLS_EMAIL_NOTIFICATIONS = False
    g = build_grid()
    g.manager.email = "manager@example.org"
    g.manager.save(update_fields=["email"])
    submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    assert not Job.objects.filter(name="patrols.email_notification").exists()
    run_outbox()
    assert mailoutbox == []
    assert Notification.objects.filter(recipient=g.manager).count() == 1


def test_not_fixed_by_the_reporter_notifies_the_grid_manager():
    g = build_grid()
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    transition(report=report, action="confirm", by=g.staff)
    transition(
        report=report, action="clear", by=g.staff, data={"cleared_by": "crew", "trees_removed": 1},
        photos=[image_file()],
    )  # fmt: skip
    transition(report=report, action="not_fixed", by=g.villager, note="树还在")
    event = ReportEvent.objects.get(report=report, action="not_fixed")
    (notification,) = Notification.objects.filter(event=event)
    assert notification.recipient == g.manager
    assert str(report.pk) in notification.message


def test_staff_acting_on_their_own_report_notify_nobody():
    g = build_grid()
    report, _ = submit(reporter=g.staff, client_id=uuid.uuid4(), data=tree_data())
    transition(report=report, action="confirm", by=g.staff)
    assert not Notification.objects.filter(event__action="confirm").exists()


def test_submission_records_one_statistics_refresh_per_grid_for_a_burst():
    g = build_grid()
    for _ in range(3):
        submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    (job,) = Job.objects.filter(name="stats.refresh_district")
    assert job.payload == {"district_id": g.district.pk}
