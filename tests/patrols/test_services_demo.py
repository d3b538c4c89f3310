"""The demo hook: the station's own figures, valid rows and events, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from patrols.demo import load_demo
from patrols.models import Report, ReportEvent
from patrols.selectors import report_counts
from tests.patrols.factories import build_grid

pytestmark = pytest.mark.django_db


def test_demo_year_has_the_stations_figures_and_is_idempotent():
    g = build_grid()
    load_demo(stations=[g.station], seed=2016)
    reports = Report.objects.filter(district__station=g.station)
    total = reports.count()
    assert total > 4000
    cleared = reports.filter(kind="tree", status__in=["cleared", "verified"], cleared_by="self")
    assert cleared.count() == 2000
    assert reports.aggregate(t=Sum("trees_removed"))["t"] == 700
    assert reports.filter(kind="construction", construction_stopped=True).count() == 30
    assert reports.filter(kind="behaviour").values("behaviour").distinct().count() == 9
    # Every report has its submit event, and events follow the status.
    assert ReportEvent.objects.filter(action="submit").count() == total
    verified = reports.filter(kind="tree", status="verified").annotate(n=Count("events"))
    assert set(verified.values_list("n", flat=True)) == {4}
    assert not reports.filter(confirmed_at__lt=timezone.now() - dt.timedelta(days=400)).exists()

    load_demo(stations=[g.station], seed=2016)
    assert Report.objects.count() == total

    (row,) = report_counts(user=g.staff, level="station")
    assert row["tree_places_cleared_self"] == 2000 and row["trees_removed"] == 700
    assert row["construction_stopped"] == 30
    assert row["confirm_median_h"] > 0
    # Open reports are mostly within their service targets: some overdue, not all.
    from patrols.selectors import work_queue

    queue = work_queue(g.staff)
    on_clock = queue.count()
    overdue = queue.filter(overdue=True).count()
    assert on_clock > 150 and 0.1 < overdue / on_clock < 0.4, (overdue, on_clock)
    assert row["overdue_confirm"] + row["overdue_clear"] == overdue
    closed = reports.filter(status__in=Report.CLOSED_STATUSES).count()
    assert closed / total > 0.9
