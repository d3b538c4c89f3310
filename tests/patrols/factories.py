"""Factories for patrol reports. A report is built on the core factories' geometry; the
services, not these factories, snap and resolve (tests of those call the services)."""

from __future__ import annotations

import uuid

import factory
from django.utils import timezone

from patrols.models import Report, ReportEvent
from tests.factories import DistrictFactory, UserFactory, point


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    client_id = factory.LazyFunction(uuid.uuid4)
    content_hash = factory.LazyFunction(lambda: uuid.uuid4().hex * 2)
    reporter = factory.SubFactory(UserFactory)
    kind = Report.Kind.TREE
    status = Report.Status.SUBMITTED
    location = factory.LazyFunction(lambda: point(100, 100))
    accuracy_m = 8.0
    district = factory.SubFactory(DistrictFactory)
    tree_count = factory.LazyAttribute(lambda o: 2 if o.kind == Report.Kind.TREE else None)
    construction_kind = factory.LazyAttribute(
        lambda o: Report.ConstructionKind.EXCAVATION if o.kind == Report.Kind.CONSTRUCTION else ""
    )
    behaviour = factory.LazyAttribute(
        lambda o: Report.Behaviour.WET_HANDS if o.kind == Report.Kind.BEHAVIOUR else ""
    )
    damage_kind = factory.LazyAttribute(
        lambda o: Report.DamageKind.POLE if o.kind == Report.Kind.DAMAGE else ""
    )
    submitted_at = factory.LazyFunction(timezone.now)


class ReportEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportEvent

    report = factory.SubFactory(ReportFactory)
    actor = factory.SelfAttribute("report.reporter")
    action = ReportEvent.Action.SUBMIT
    from_status = ""
    to_status = Report.Status.SUBMITTED
