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
    ActionSerializer,
    EventSerializer,
    NotificationSerializer,
    ReportDetailSerializer,
    ReportSerializer,
    ReportSubmitSerializer,
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


@pytest.mark.parametrize(
    "serializer_class",
    [
        ReportSerializer,
        ReportDetailSerializer,
        EventSerializer,
        NotificationSerializer,
        ReportSubmitSerializer,
        ActionSerializer,
    ],
)
def test_fields_built_once_are_drfs_fields_and_never_shared(serializer_class):
    from houhu.lib.serializers import FieldsBuiltOnce

    assert issubclass(serializer_class, FieldsBuiltOnce)

    class BuiltEachTime(serializer_class):
        def get_fields(self):
            # DRF's own: what comes after the mixin.
            return super(FieldsBuiltOnce, self).get_fields()

    first, second = serializer_class(), serializer_class()
    drf = BuiltEachTime()
    assert list(first.fields) == list(drf.fields)
    for name, field in first.fields.items():
        # The same class with the same arguments (DRF's repr lists them), bound to its own
        # serializer: nothing is shared between two serializers of one class.
        assert repr(field) == repr(drf.fields[name]), name
        assert field.parent is first and second.fields[name].parent is second
        assert field is not second.fields[name]
        assert _validators(field) == _validators(drf.fields[name]), name
        assert field.validators is not second.fields[name].validators, name
        child = getattr(field, "child", None)
        if child is not None:
            # A list's child is bound to its own list, not to the class's template.
            assert child.parent is field and child is not second.fields[name].child


def _validators(field) -> list:
    # Each build makes new validator objects (DRF's messages are lazy, compared by identity).
    return [(type(v), getattr(v, "limit_value", None)) for v in field.validators]


def test_a_validator_added_to_one_serializer_stays_there():
    # PhotosMixin appends the photo-count validator to its own copy on every instance.
    first, second = ReportSubmitSerializer(), ReportSubmitSerializer()
    assert len(first.fields["photos"].validators) == len(second.fields["photos"].validators)
    first.fields["note"].validators.append(lambda value: None)
    assert len(ReportSubmitSerializer().fields["note"].validators) == len(
        second.fields["note"].validators
    )
    assert len(first.fields["note"].validators) == len(second.fields["note"].validators) + 1


def test_a_subclass_builds_its_own_fields():
    assert "photos" not in ReportSerializer().fields
    assert "photos" in ReportDetailSerializer().fields
    assert "photos" not in ReportSerializer().fields
