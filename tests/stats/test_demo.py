"""The demo hook the core loader calls: a default service target and a year of figures."""

from __future__ import annotations

import pytest
from django.utils import timezone

from patrols.models import ServiceTarget
from stats import demo
from stats.models import Snapshot
from tests.stats.factories import small_county

pytestmark = pytest.mark.django_db


def test_demo_hook_is_idempotent_and_fills_this_month():
    c = small_county()
    demo.load_demo(stations=[c.station], seed=2016)
    demo.load_demo(stations=[c.station], seed=2016)
    assert ServiceTarget.objects.filter(station__isnull=True).count() == 1
    month = timezone.localdate().replace(day=1)
    row = Snapshot.objects.get(level="district", scope_id=c.d1.pk, period="month",
                               period_start=month)  # fmt: skip
    assert row.households == 6
    # A year of months back from this one, every one of them a row (quiet months are zeros).
    months = Snapshot.objects.filter(level="district", scope_id=c.d1.pk, period="month")
    assert months.count() >= 12
