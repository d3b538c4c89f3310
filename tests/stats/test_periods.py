"""Periods a county leader can trust: stocks carry over from earlier periods, the running
month's stocks are taken now, "the last 30 days" rolls, the dashboard opens on the last
complete month and compares the running month with the same days of the month before."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from houhu.accounts.models import User
from stats import selectors, services
from stats.compute import compute_kinds, compute_snapshots
from stats.models import Snapshot
from tests.factories import UserFactory
from tests.pledges.factories import SegmentAssignmentFactory
from tests.stats.factories import TZ, report, small_county

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
# The day of the issue: 1 December 2026, 08:00 in Qianjiang.
DEC1 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=TZ)
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def on(year, month, day, hour=9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


def row(county, start, period="month", level="transformer_area", scope=None) -> Snapshot:
    scope = scope or county.tas[0].pk
    return Snapshot.objects.get(level=level, scope_id=scope, period=period, period_start=start)


@pytest.fixture
def county():
    return small_county(with_reports=False)


def _hazard(county, received_at, **kw):
    kw.setdefault("kind", "behaviour")
    if kw["kind"] == "behaviour":
        kw.setdefault("behaviour", "wet_hands")
    return report(
        reporter=UserFactory(), district=county.d1, transformer_area=county.tas[0],
        segment=county.segments[0], received_at=received_at, **kw,
    )  # fmt: skip


def test_open_hazards_reported_in_earlier_months_stay_in_the_figures(county):
    """Four hazards reported April to November, still open: every month counts them from
    the month they arrived in (the transformer area's cards showed 0 while its table
    listed four)."""
    for month in (4, 6, 9, 11):
        _hazard(county, on(2026, month, 3))
    # One more, reported in May and cleared (by a crew, verified) in July.
    _hazard(
        county, on(2026, 5, 10), kind="tree", status="verified", confirmed_at=on(2026, 5, 11),
        cleared_at=on(2026, 7, 2), verified_at=on(2026, 7, 3), cleared_by="crew",
        trees_removed=2,
    )  # fmt: skip
    compute_snapshots(kind="month", first=dt.date(2026, 4, 1), last=NOV, now=DEC1)
    open_by_month = {m: row(county, dt.date(2026, m, 1)).open_hazards for m in range(4, 12)}
    assert open_by_month == {4: 1, 5: 2, 6: 3, 7: 2, 8: 2, 9: 3, 10: 3, 11: 4}
    nov = row(county, NOV)
    # All four wait for a first decision far beyond the 24 h target.
    assert (nov.overdue_confirm, nov.overdue_clear) == (4, 0)
    assert nov.hazards_reported == 1  # the flow is still November's own reports
    # The district and the station carry them too.
    assert row(county, NOV, level="district", scope=county.d1.pk).open_hazards == 4


def test_a_hazard_is_counted_with_its_status_at_the_end_of_each_month(county):
    """Confirmed late in October, cleared in November: open at the end of September and
    of October (overdue for clearing only at the end of October), not in November."""
    _hazard(
        county, on(2026, 9, 20), kind="tree", status="cleared", confirmed_at=on(2026, 10, 20),
        cleared_at=on(2026, 11, 5), cleared_by="self", trees_removed=1,
    )  # fmt: skip
    compute_snapshots(kind="month", first=dt.date(2026, 9, 1), last=NOV, now=DEC1)
    sep, oct_, nov = (row(county, dt.date(2026, m, 1)) for m in (9, 10, 11))
    assert (sep.open_hazards, sep.overdue_confirm, sep.overdue_clear) == (1, 1, 0)
    assert (oct_.open_hazards, oct_.overdue_confirm, oct_.overdue_clear) == (1, 0, 1)
    assert (nov.open_hazards, nov.overdue_confirm, nov.overdue_clear) == (0, 0, 0)


def test_the_running_months_stocks_are_taken_now(county):
    """On 1 December at 08:00 the running month's stocks are those of that moment: a
    responsible person who starts on 20 December does not cover December yet."""
    SegmentAssignmentFactory(segment=county.segments[2], valid_from=dt.date(2026, 12, 20))
    compute_snapshots(kind="month", first=DEC, now=DEC1)
    dec = row(county, DEC, level="district", scope=county.d2.pk)
    assert dec.as_of == DEC1
    assert dec.covered_length_m == 0


def test_segments_patrolled_is_a_rolling_30_day_window(county):
    """On 1 December at 08:00 "segments patrolled in the last 30 days" counts the patrols
    since 1 November 08:00, not those of December so far (there are none yet)."""
    report(
        reporter=UserFactory(), district=county.d1, transformer_area=county.tas[0],
        segment=county.segments[0], kind="nothing_found", status="recorded",
        received_at=on(2026, 11, 20),
    )  # fmt: skip
    report(
        reporter=UserFactory(), district=county.d1, transformer_area=county.tas[1],
        segment=county.segments[1], kind="nothing_found", status="recorded",
        received_at=on(2026, 11, 1, 3),  # before 1 November 08:00
    )  # fmt: skip
    compute_snapshots(kind="month", first=NOV, last=DEC, now=DEC1)
    d1 = county.d1.pk
    assert row(county, DEC, level="district", scope=d1).segments_patrolled_30d == 1
    # November's window is the 30 days before 1 December 00:00: both patrols are in it.
    assert row(county, NOV, level="district", scope=d1).segments_patrolled_30d == 2
    assert row(county, DEC, level="district", scope=d1).patrol_coverage == pytest.approx(0.5)


def test_month_to_date_is_compared_with_the_same_part_of_the_month_before(county):
    now = on(2026, 12, 7, 10)
    _hazard(county, on(2026, 12, 2))
    _hazard(county, on(2026, 11, 2))  # inside "1-7 Nov, to 10:00"
    _hazard(county, on(2026, 11, 7, 11))  # after 10:00 on 7 Nov: not like with like
    _hazard(county, on(2026, 11, 20))
    compute_kinds(kinds=["month", "mtd"], first=DEC, now=now)
    mtd = row(county, NOV, period="mtd")
    assert mtd.as_of == on(2026, 11, 7, 10)
    assert mtd.reports == 1
    assert mtd.open_hazards == 1  # the 2 November hazard, open at 7 November 10:00
    assert row(county, DEC).reports == 1
    # A later refresh replaces the comparison window, it does not add another.
    compute_kinds(kinds=["month", "mtd"], first=DEC, now=now + 24 * H)
    assert Snapshot.objects.filter(period="mtd", level="transformer_area").count() == 3
    assert row(county, NOV, period="mtd").reports == 2


@pytest.fixture
def leader(county):
    return UserFactory(role=User.Role.LEADER, county=county.station.county)


def _text(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    return re.sub(r"\s+", " ", match[1]).strip() if match else ""


def test_dashboard_opens_on_the_last_complete_month(client, county, leader):
    _hazard(county, on(2026, 11, 12))
    compute_kinds(kinds=["month", "year", "mtd"], first=dt.date(2026, 10, 1), last=DEC, now=DEC1)
    client.force_login(leader)
    with time_machine.travel(DEC1, tick=False):
        response = client.get("/stats/", {"level": "district", "id": county.d1.pk})
    assert response.context["month"] == NOV
    html = response.content.decode()
    assert _text(html, "period") == "2026年11月"
    compared = _text(html, "compared")
    assert compared.startswith("2026年11月") and compared.endswith("对比 2026年10月")
    # Month to date is one click away, and says so.
    assert "本月至今" in _text(html, "month-to-date")
    assert "2026年12月" in _text(html, "month-to-date")


def test_month_to_date_view_says_which_days_it_compares(client, county, leader):
    now = on(2026, 12, 7, 10)
    _hazard(county, on(2026, 12, 2))
    compute_kinds(kinds=["month", "mtd"], first=DEC, now=now)
    client.force_login(leader)
    with time_machine.travel(now, tick=False):
        response = client.get(
            "/stats/", {"level": "district", "id": county.d1.pk, "month": "2026-12"}
        )
    html = response.content.decode()
    days = "12月1日\u201312月7日"  # an en dash between the days
    assert _text(html, "period").startswith("本月至今") and _text(html, "period").endswith(days)
    compared = _text(html, "compared")
    assert compared.startswith(days) and "对比 11月1日\u201311月7日" in compared
    assert response.context["previous"].period == "mtd"
    assert 'data-testid="last-complete"' in html


def test_a_page_states_the_oldest_computation_of_the_rows_it_shows(county):
    _hazard(county, on(2026, 11, 12))
    compute_snapshots(kind="month", first=dt.date(2026, 10, 1), last=NOV, now=DEC1)
    # A later refresh of one grid: its rows are newer than the station's.
    compute_snapshots(kind="month", first=NOV, district_id=county.d1.pk, now=DEC1 + H)
    rows = list(Snapshot.objects.filter(period="month"))
    assert selectors.figures_time(rows) == DEC1
    d1 = [r for r in rows if r.district_id == county.d1.pk and r.period_start == NOV]
    assert selectors.figures_time(d1) == DEC1 + H


def test_the_nightly_refresh_rechecks_every_month_of_the_trend(county):
    _hazard(county, on(2026, 3, 12))
    services.refresh_nightly(now=DEC1)
    months = Snapshot.objects.filter(level="district", scope_id=county.d1.pk, period="month")
    assert min(months.values_list("period_start", flat=True)) == dt.date(2025, 12, 1)
    trend = selectors.trend(
        UserFactory(role=User.Role.LEADER, county=county.station.county),
        level="district", scope_id=county.d1.pk, until=NOV,
    )  # fmt: skip
    assert len(trend) == 12 and selectors.figures_time(trend) == DEC1
    # The hazard of March is still open in each month's figures since.
    assert [r.open_hazards for r in trend][3:] == [1] * 9
