"""Thumbnails and notifications through a REAL Celery worker (tests/conftest.py): the
services queue them on commit; a second task queued after them is a barrier, since the
worker is a single solo process reading its queue in order."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from patrols import tasks
from patrols.models import Notification, ReportEvent, ReportPhoto
from patrols.notifications import deliver
from tests.patrols.factories import build_grid, image_file, submit, transition, tree_data

TIMEOUT = 60


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_submission_queues_thumbnails_and_notifies_the_grid_manager(celery_worker):
    g = build_grid()
    report, _ = submit(
        reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(),
        photos=[image_file(size=(640, 480))],
    )  # fmt: skip
    # Barrier: processed after the two tasks queued on commit.
    submit_event = ReportEvent.objects.get(report=report)
    assert tasks.notify.delay(submit_event.pk).get(timeout=TIMEOUT) is not None

    photo = ReportPhoto.objects.get(report=report)
    assert photo.thumbnail.name.endswith("-thumb.jpg")
    with photo.thumbnail.open("rb") as fh:
        thumb = Image.open(io.BytesIO(fh.read()))
    assert thumb.format == "JPEG" and max(thumb.size) == 320  # the worker's setting
    # Delivered once, though the notify task ran twice.
    notification = Notification.objects.get(report=report)
    assert notification.recipient == g.manager
    assert notification.verb == Notification.Verb.NEW_REPORT
    assert str(report.pk) in notification.message


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_reporter_is_notified_when_staff_confirm(celery_worker):
    g = build_grid()
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    transition(report=report, action="confirm", by=g.staff, note="属实")
    confirm = ReportEvent.objects.get(report=report, action="confirm")
    tasks.make_thumbnails.delay([]).get(timeout=TIMEOUT)  # barrier
    assert Notification.objects.filter(
        recipient=g.villager, report=report, event=confirm, verb="status_changed"
    ).exists()
    assert Notification.objects.filter(report=report).count() == 2  # manager + reporter


@pytest.mark.django_db
def test_email_goes_to_a_manager_with_an_address_when_enabled(settings, mailoutbox):
    settings.PATROLS_EMAIL_NOTIFICATIONS = True
    g = build_grid()
    g.manager.email = "manager@example.org"
    g.manager.save(update_fields=["email"])
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    event = ReportEvent.objects.get(report=report)
    deliver(event.pk)
    deliver(event.pk)  # a redelivered task sends no second mail
    assert [m.to for m in mailoutbox] == [["manager@example.org"]]
    assert Notification.objects.get(event=event).emailed_at is not None


@pytest.mark.django_db
def test_no_email_when_disabled(settings, mailoutbox):
    settings.PATROLS_EMAIL_NOTIFICATIONS = False
    g = build_grid()
    g.manager.email = "manager@example.org"
    g.manager.save(update_fields=["email"])
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    deliver(ReportEvent.objects.get(report=report).pk)
    assert mailoutbox == []
    assert Notification.objects.filter(recipient=g.manager).count() == 1


@pytest.mark.django_db
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
    deliver(event.pk)
    (notification,) = Notification.objects.filter(event=event)
    assert notification.recipient == g.manager
    assert str(report.pk) in notification.message


@pytest.mark.django_db
def test_staff_acting_on_their_own_report_notify_nobody():
    g = build_grid()
    report, _ = submit(reporter=g.staff, client_id=uuid.uuid4(), data=tree_data())
    transition(report=report, action="confirm", by=g.staff)
    deliver(ReportEvent.objects.get(report=report, action="confirm").pk)
    assert not Notification.objects.filter(event__action="confirm").exists()


@pytest.mark.django_db(transaction=True)
def test_submission_schedules_the_grids_statistics_refresh():
    from stats import tasks as stats_tasks

    g = build_grid()
    key = stats_tasks.debounce_key(g.district.pk)
    stats_tasks.clear_debounce(g.district.pk)
    submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    try:
        assert stats_tasks._redis().exists(key) == 1
    finally:
        stats_tasks.clear_debounce(g.district.pk)
