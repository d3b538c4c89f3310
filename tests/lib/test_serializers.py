"""houhu.lib.serializers.DirectColumnReads answers exactly what DRF's own
`Serializer.to_representation` answers, for every serializer that uses it, every role
and reports with and without the optional relations (segment, village, merged_into)."""

from __future__ import annotations

import uuid

import pytest
from django.test import RequestFactory
from rest_framework import serializers

from houhu.lib.serializers import DirectColumnReads
from patrols.models import Notification, Report, ReportEvent
from patrols.serializers import (
    EventSerializer,
    NotificationSerializer,
    ReportDetailSerializer,
    ReportSerializer,
)
from tests.factories import point
from tests.patrols.factories import build_grid, submit, transition, tree_data

pytestmark = pytest.mark.django_db


def drf_answer(serializer_class, instance, context):
    """What DRF itself answers for the same fields (the mixin's method skipped)."""
    serializer = serializer_class(instance, context=context)
    return serializers.Serializer.to_representation(serializer, instance)


def test_direct_reads_answer_what_drf_answers():
    g = build_grid()
    near, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    far_away = point(500, 1800)  # beyond the snapping radius: no segment
    lone, _ = submit(
        reporter=g.villager,
        client_id=uuid.uuid4(),
        data={**tree_data(), "lon": far_away.x, "lat": far_away.y, "note": "<b>x</b> & 电"},
    )
    transition(report=near, action="confirm", by=g.manager, note="已核实")
    near.refresh_from_db()
    assert lone.segment_id is None and near.segment_id is not None  # both cases are covered

    reports = list(Report.objects.select_related("district", "segment", "reporter"))
    events = list(ReportEvent.objects.select_related("actor"))
    notes = list(Notification.objects.all())
    assert reports and events and notes
    for user in (g.villager, g.manager, g.staff, g.leader):
        request = RequestFactory().get("/")
        request.user = user
        context = {"request": request}
        for cls, rows in (
            (ReportSerializer, reports),
            (ReportDetailSerializer, reports),
            (EventSerializer, events),
            (NotificationSerializer, notes),
        ):
            assert issubclass(cls, DirectColumnReads)
            for row in rows:
                assert cls(row, context=context).data == drf_answer(cls, row, context), (
                    cls.__name__,
                    user.role,
                )
