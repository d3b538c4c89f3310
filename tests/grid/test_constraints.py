"""The database itself refuses bad core data: constraints, not only form validation."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Polygon
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from houhu.accounts.models import User
from houhu.grid.models import District, DistrictCounts, Household, TransformerArea, Village
from tests.factories import (
    DistrictFactory,
    HouseholdFactory,
    SegmentFactory,
    TransformerAreaFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# A bowtie: the ring crosses itself at (112.81, 30.46), so ST_IsValid is false.
BOWTIE = Polygon(
    ((112.80, 30.45), (112.82, 30.47), (112.82, 30.45), (112.80, 30.47), (112.80, 30.45)),
    srid=4326,
)


def refused(constraint: str):
    """Expect an IntegrityError naming `constraint`, inside a savepoint."""

    class _Ctx:
        def __enter__(self):
            self.raises = pytest.raises(IntegrityError, match=constraint)
            self.raises.__enter__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()

        def __exit__(self, *exc):
            self.atomic.__exit__(*exc)
            return self.raises.__exit__(*exc)

    return _Ctx()


def test_self_intersecting_district_boundary_is_refused():
    assert not BOWTIE.valid
    count = District.objects.count()
    with refused("grid_district_boundary_valid"):
        DistrictFactory(boundary=BOWTIE)
    assert District.objects.count() == count


def test_self_intersecting_transformer_area_is_refused():
    with refused("grid_transformerarea_area_valid"):
        TransformerAreaFactory(area=BOWTIE)
    assert not TransformerArea.objects.filter(area__isnull=False).exists()


def test_duplicate_customer_number_is_refused():
    first = HouseholdFactory(customer_number="4200000001")
    with refused("customer_number"):
        HouseholdFactory(customer_number="4200000001", transformer_area=first.transformer_area)
    assert Household.objects.filter(customer_number="4200000001").count() == 1


def test_grid_with_households_cannot_be_deleted():
    household = HouseholdFactory()
    district = household.transformer_area.district
    with pytest.raises(ProtectedError):
        district.delete()
    assert District.objects.filter(pk=district.pk).exists()


def test_transformer_area_with_households_cannot_be_deleted():
    household = HouseholdFactory()
    with pytest.raises(ProtectedError):
        household.transformer_area.delete()
    assert TransformerArea.objects.filter(pk=household.transformer_area_id).exists()


def test_village_with_households_cannot_be_deleted():
    household = HouseholdFactory()
    with pytest.raises(ProtectedError):
        household.village.delete()
    assert Village.objects.filter(pk=household.village_id).exists()


def test_duplicate_segment_order_on_a_line_is_refused():
    seg = SegmentFactory(seq=3)
    with refused("grid_segment_line_seq_unique"):
        SegmentFactory(line=seg.line, district=seg.district, seq=3)
    assert seg.line.segments.count() == 1
    # The same number on another line is fine.
    SegmentFactory(seq=3, district=seg.district)


def test_villager_without_household_is_refused():
    with refused("accounts_user_villager_has_household"):
        UserFactory(role=User.Role.VILLAGER, household=None)
    assert not User.objects.filter(role=User.Role.VILLAGER).exists()


def test_staff_account_tied_to_a_household_is_refused():
    household = HouseholdFactory()
    with refused("accounts_user_villager_has_household"):
        UserFactory(role=User.Role.STAFF, household=household)


def test_counts_with_more_aquaculture_than_households_are_refused():
    district = DistrictFactory()
    with refused("grid_districtcounts_aquaculture_le_households"):
        DistrictCounts.objects.create(
            district=district,
            household_count=1,
            aquaculture_household_count=2,
            computed_at=timezone.now(),
        )
