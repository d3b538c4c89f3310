"""A full refresh fanned out over the stats queue (stats.fanout) writes exactly the rows of
one unfanned run, through REAL Celery workers: the default-queue worker takes the
dispatching task, the stats worker (its own queue and hostname) the parts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.forms.models import model_to_dict

from stats import fanout, services
from stats.compute import Part
from stats.models import Level, Snapshot, SnapshotRun
from stats.tasks import refresh_all
from tests.conftest import ROOT
from tests.factories import (
    CountyFactory,
    DistrictFactory,
    HouseholdFactory,
    LineFactory,
    SegmentFactory,
    StationFactory,
    TransformerAreaFactory,
    UserFactory,
)
from tests.stats.factories import JAN, NOW, at, report, small_county

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _station_with_reports(county, n_reports: int):
    """Another station: one grid, one area, two households, a segment and some reports."""
    station = StationFactory(county=county)
    district = DistrictFactory(station=station)
    ta = TransformerAreaFactory(district=district)
    for _ in range(2):
        HouseholdFactory(transformer_area=ta)
    segment = SegmentFactory(
        line=LineFactory(station=station), district=district, transformer_area=ta
    )
    staff = UserFactory()
    where = {"reporter": staff, "district": district, "transformer_area": ta, "segment": segment}
    for i in range(n_reports):
        report(**where, kind="tree", status="submitted", in_zone=True, received_at=at(3 + i))
    report(**where, kind="nothing_found", status="recorded", received_at=at(28))
    return station


def _province():
    c = small_county()
    _station_with_reports(c.station.county, 3)
    _station_with_reports(CountyFactory(code="zhongxiang", name="钟祥市"), 2)
    return c


def _rows() -> list[dict]:
    rows = [
        {k: v for k, v in model_to_dict(s).items() if k not in ("id", "run")}
        for s in Snapshot.objects.all()
    ]
    return sorted(rows, key=lambda r: (r["level"], r["scope_id"], r["period"], r["period_start"]))


def test_parts_are_one_per_station_and_county():
    c = _province()
    parts = fanout.parts()
    counties = [p for p in parts if p.levels == (Level.COUNTY,)]
    stations = [p for p in parts if p.levels != (Level.COUNTY,)]
    assert parts[: len(counties)] == counties  # the longest first
    # The compact's station (tests.pledges.factories) has no grid: a part of its own.
    assert len(counties) == 2 and len(stations) == 4
    levels = (Level.TRANSFORMER_AREA, Level.DISTRICT, Level.STATION)
    assert Part(levels, (c.d1.pk, c.d2.pk), station_ids=(c.station.pk,)) in stations
    # Every grid is in exactly one station's part and one county's part.
    assert sorted(d for p in stations for d in p.district_ids) == sorted(
        d for p in counties for d in p.district_ids
    )


@pytest.mark.parametrize(
    ("scope", "first", "last"),
    [("range", "2025-12-01", "2026-01-31"), ("current", None, None), ("nightly", None, None)],
)
def test_fanned_refresh_writes_the_rows_of_one_unfanned_run(celery_worker, scope, first, last):
    _province()
    now = NOW + dt.timedelta(days=3, hours=5)  # 4 Feb: current and nightly reach January
    kw = {"now": now}
    if scope == "range":
        services.refresh_range(
            first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last), **kw
        )
    elif scope == "current":
        services.refresh_current(**kw)
    else:
        services.refresh_nightly(**kw)
    unfanned = _rows()
    assert {r["level"] for r in unfanned} == set(Level.values)
    assert any(r["reports"] for r in unfanned)
    Snapshot.objects.all().delete()
    SnapshotRun.objects.all().delete()

    result = refresh_all.delay(scope=scope, first=first, last=last, now=now.isoformat())
    rows = fanout.wait(result, timeout=120)
    assert rows == Snapshot.objects.count() == len(unfanned)
    assert _rows() == unfanned
    # Each part is a run of its own; none failed.
    assert not SnapshotRun.objects.exclude(status="done").exists()
    # The parts ran on the stats worker (its own queue and hostname), not the default one.
    stats_log = (ROOT / "var" / f"celery-{settings.STATS_QUEUE}.log").read_text()
    assert "stats.refresh_part" in stats_log


def test_a_fanned_rerun_over_the_unfanned_rows_changes_nothing(celery_worker):
    _province()
    services.refresh_range(first=JAN, last=JAN.replace(day=31), now=NOW)
    before = _rows()
    result = refresh_all.delay(scope="range", first="2026-01-01", last="2026-01-31",
                               now=NOW.isoformat())  # fmt: skip
    fanout.wait(result, timeout=120)
    assert _rows() == before
    fanned_runs = SnapshotRun.objects.filter(source__part__isnull=False)
    assert fanned_runs.count() == 3 * 6  # day, month, year of 6 parts
    assert not fanned_runs.filter(district__isnull=False).exists()
    assert all(r.source["changed"] == 0 == r.source["deleted"] for r in fanned_runs)


def test_fanning_out_off_runs_one_whole_part(settings):
    small_county()
    settings.STATS_FANOUT = False
    # The chord then has one task: the unfanned refresh.
    assert fanout.parts() == [Part()]
