"""The database refuses impossible reports on its own, whatever code writes them."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction

from patrols.models import Report, ReportEvent
from tests.patrols.factories import ReportEventFactory, ReportFactory

pytestmark = pytest.mark.django_db


def _refused(**kwargs) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFactory(**kwargs)


def test_client_id_is_unique_forever():
    report = ReportFactory()
    _refused(client_id=report.client_id, district=report.district)
    assert Report.objects.filter(client_id=report.client_id).count() == 1


def test_unknown_status_is_refused_by_the_database():
    _refused(status="lost")


def test_construction_status_is_refused_on_a_tree_report():
    _refused(kind=Report.Kind.TREE, status=Report.Status.STOPPED)


def test_nothing_found_report_must_be_recorded():
    _refused(kind=Report.Kind.NOTHING_FOUND, status=Report.Status.SUBMITTED)
    ReportFactory(kind=Report.Kind.NOTHING_FOUND, status=Report.Status.RECORDED)


def test_tree_report_needs_a_tree_count():
    _refused(kind=Report.Kind.TREE, tree_count=None)


def test_behaviour_report_needs_one_of_the_nine_behaviours():
    _refused(kind=Report.Kind.BEHAVIOUR, behaviour="kite_flying")


def test_zone_flag_needs_a_segment():
    _refused(in_zone=True, segment=None)


def test_merged_report_must_be_rejected():
    target = ReportFactory()
    _refused(merged_into=target, status=Report.Status.SUBMITTED, district=target.district)


def test_report_event_cannot_be_updated_or_deleted():
    event = ReportEventFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.note == ""


def test_report_str_names_kind_and_status():
    report = ReportFactory(client_id=uuid.uuid4())
    assert str(report.pk) in str(report)
