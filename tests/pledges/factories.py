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


# --- a small, hand-checkable world ----------------------------------------------------------


class World:
    """One station, two grids with their managers, two villages, a published compact."""

    def __init__(self) -> None:
        from houhu.accounts.models import User
        from tests.factories import (
            HouseholdFactory,
            TransformerAreaFactory,
            UserFactory,
            VillageFactory,
            manager_of,
        )

        self.station = StationFactory()
        self.d1 = DistrictFactory(station=self.station)
        self.d2 = DistrictFactory(station=self.station)
        self.m1 = manager_of(self.d1)
        self.m2 = manager_of(self.d2)
        self.staff = UserFactory(role=User.Role.STAFF, station=self.station)
        self.leader = UserFactory(role=User.Role.LEADER, county=self.station.county)
        self.v1 = VillageFactory(station=self.station)
        self.v2 = VillageFactory(station=self.station)
        self.ta1 = TransformerAreaFactory(district=self.d1)
        self.ta2 = TransformerAreaFactory(district=self.d2)
        self.h1, self.h2, self.h3 = (
            HouseholdFactory(transformer_area=self.ta1, village=self.v1) for _ in range(3)
        )
        self.h4 = HouseholdFactory(transformer_area=self.ta2, village=self.v2)
        self.compact = CompactFactory(station=self.station)
        self.version = PublishedVersionFactory(
            compact=self.compact, number=1, effective_from=dt.date(2024, 1, 1)
        )
        ClauseFactory(version=self.version, number=1)
        ClauseFactory(
            version=self.version, number=2, kind=m.Clause.Kind.UNSAFE_BEHAVIOUR, text="九个不见了"
        )
