"""Factories for the pledges app, on top of the core factories in tests/factories.py."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from pledges import models as m
from tests.factories import DistrictFactory, HouseholdFactory, SegmentFactory, StationFactory


class CompactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Compact

    station = factory.SubFactory(StationFactory)
    title = factory.Sequence(lambda n: f"后湖供电所村规民约{n}")
    scope = m.Compact.Scope.STATION


class CompactVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.CompactVersion

    compact = factory.SubFactory(CompactFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = m.CompactVersion.Status.DRAFT
    effective_from = dt.date(2024, 1, 1)


class PublishedVersionFactory(CompactVersionFactory):
    status = m.CompactVersion.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class ClauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Clause

    version = factory.SubFactory(CompactVersionFactory)
    number = factory.Sequence(lambda n: n + 1)
    kind = m.Clause.Kind.PROTECTION
    text = "保护电力线路和配电设施，防外力破坏。"  # noqa: RUF001 - Chinese punctuation


class PledgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Pledge

    household = factory.SubFactory(HouseholdFactory)
    version = factory.SubFactory(PublishedVersionFactory)
    status = m.Pledge.Status.ACTIVE
    method = m.Pledge.Method.PAPER
    signed_at = factory.LazyFunction(timezone.now)
    signatory_name = factory.LazyAttribute(lambda o: o.household.head_name)
    witness_name = "台区经理"
    recorded_by = factory.SubFactory("tests.factories.UserFactory")


class SegmentAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Assignment

    scope = m.Assignment.Scope.SEGMENT
    segment = factory.SubFactory(SegmentFactory)
    district = factory.LazyAttribute(lambda o: o.segment.district)
    person_name = factory.Sequence(lambda n: f"护线员{n}")
    person_phone = factory.Sequence(lambda n: f"137{n:08d}")
    valid_from = dt.date(2024, 1, 1)
    is_primary = True


__all__ = [
    "ClauseFactory",
    "CompactFactory",
    "CompactVersionFactory",
    "DistrictFactory",
    "PledgeFactory",
    "PublishedVersionFactory",
    "SegmentAssignmentFactory",
]
