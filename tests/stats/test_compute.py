"""Snapshot figures worked out by hand on tests/stats/factories.small_county."""

from __future__ import annotations

import pytest

from stats import compute
from stats.compute import compute_snapshots
from stats.models import Snapshot, SnapshotRun
from tests.stats.factories import JAN, NOW, at, report, small_county

pytestmark = pytest.mark.django_db


def snap(level, scope_id, period="month", start=JAN) -> Snapshot:
    return Snapshot.objects.get(level=level, scope_id=scope_id, period=period, period_start=start)


def add_report(c):
    return report(
        reporter=c.reports["r1"].reporter, district=c.d1, transformer_area=c.tas[0],
        segment=c.segments[0], kind="nothing_found", status="recorded", received_at=at(25),
    )  # fmt: skip


@pytest.fixture
def county():
    c = small_county()
    compute_snapshots(kind="month", first=JAN, now=NOW)
    return c


def test_district_flow_counts_match_hand_computed(county):
    s = snap("district", county.d1.pk)
    # r5 was rejected: not a hazard reported (patrols.figures).
    assert (s.reports, s.hazards_reported, s.confirmed, s.rejected) == (6, 4, 2, 1)
    assert (s.cleared, s.cleared_self, s.cleared_crew, s.verified) == (1, 1, 0, 1)
    assert (s.tree_places_reported, s.tree_places_cleared_self) == (2, 1)
    # At the end of January: r2 (confirmed) and r3 (submitted) are open, r2 in the zone;
    # r3 waits for a decision and r2 for its clearing, both past the targets. r5 was
    # decided (rejected), late, but is no longer waiting: not overdue at the month's end.
    assert (s.open_hazards, s.open_in_zone) == (2, 1)
    assert (s.overdue_confirm, s.overdue_clear) == (1, 1)
    assert (s.tree_places_cleared, s.trees_removed, s.construction_stopped) == (1, 3, 1)
    assert s.as_of == NOW
    assert s.behaviours["clothes_on_lines"] == 1
    assert s.behaviours["wet_hands"] == 0


def test_district_medians_and_p90_match_hand_computed(county):
    s = snap("district", county.d1.pk)
    # Time to confirm: 2 h and 30 h. Time to verified clearing: 120 h.
    assert s.confirm_median_h == pytest.approx(16.0)
    assert s.confirm_p90_h == pytest.approx(2 + 0.9 * 28)
    assert s.clear_median_h == pytest.approx(120.0)
    assert s.clear_p90_h == pytest.approx(120.0)


def test_station_and_county_medians_are_computed_not_added(county):
    for level, scope in (("station", county.station.pk), ("county", county.station.county_id)):
        s = snap(level, scope)
        assert (s.reports, s.confirmed, s.cleared_self, s.cleared_crew) == (7, 3, 1, 1)
        # Confirm: 2, 4, 30 h. Verified clearing: 120 and 48 h.
        assert s.confirm_median_h == pytest.approx(4.0)
        assert s.confirm_p90_h == pytest.approx(4 + 0.8 * 26)
        assert s.clear_median_h == pytest.approx(84.0)
        assert s.clear_p90_h == pytest.approx(48 + 0.9 * 72)
        assert s.trees_removed == 4


def test_transformer_area_rows_split_the_district(county):
    ta1, ta2, ta3 = county.tas
    assert snap("transformer_area", ta1.pk).reports == 6
    assert snap("transformer_area", ta2.pk).reports == 0  # a quiet area is a real zero
    assert snap("transformer_area", ta3.pk).reports == 1
    assert snap("transformer_area", ta1.pk).district_id == county.d1.pk


def test_coverage_as_of_period_end(county):
    d1 = snap("district", county.d1.pk)
    assert d1.households == 6
    # Three signed in 2025, one withdrew on 10 January: two at the end of January.
    assert d1.households_signed == 2
    # seg1 guarded, seg2 only from March: half of D1's line length.
    assert d1.segments == 2
    assert d1.covered_length_m == pytest.approx(d1.line_length_m / 2)
    # seg1 patrolled (every report of D1 is on it) within the last 30 days.
    assert d1.segments_patrolled_30d == 1
    ta1 = snap("transformer_area", county.tas[0].pk)
    assert (ta1.households, ta1.households_signed) == (4, 2)
    dec = Snapshot.objects.none()
    assert not dec.exists()


def test_score_follows_the_documented_formula(county, settings):
    d1 = snap("district", county.d1.pk)
    pledge, resp, patrol = 2 / 6, 0.5, 1 / 2
    resolution = 1 / 2  # verified / confirmed
    timeliness = 1 - (1 + 1) / 2  # 1 - overdue / open at the month's end
    w = settings.STATS_SCORE_WEIGHTS
    expected = (
        w["pledge_rate"] * pledge + w["responsibility_rate"] * resp
        + w["patrol_coverage"] * patrol + w["resolution_rate"] * resolution
        + w["timeliness"] * timeliness
    ) / sum(w.values()) * 100  # fmt: skip
    assert d1.score == pytest.approx(expected, abs=0.051)
    assert d1.enough_data is True
    # D2 has a single report: below STATS_MIN_REPORTS, so never ranked.
    assert snap("district", county.d2.pk).enough_data is False


def test_rerun_gives_the_same_rows(county):
    def rows():
        return sorted(
            Snapshot.objects.values_list(
                "level", "scope_id", "period", "period_start", "reports", "confirmed",
                "overdue_confirm", "confirm_median_h", "households_signed", "score",
            )
        )  # fmt: skip

    before = rows()
    compute_snapshots(kind="month", first=JAN, now=NOW)
    compute_snapshots(kind="month", first=JAN, now=NOW)
    assert rows() == before
    assert Snapshot.objects.filter(period="month").count() == len(before)


def test_failure_mid_write_leaves_the_previous_complete_set(county, monkeypatch):
    before = sorted(Snapshot.objects.values_list("pk", "reports", "score", "run_id"))
    # A new report would change D1's figures; the run dies after writing, before COMMIT.
    add_report(county)

    def die():
        raise RuntimeError("worker killed")

    monkeypatch.setattr(compute, "_after_write_hook", die)
    with pytest.raises(RuntimeError):
        compute_snapshots(kind="month", first=JAN, now=NOW)
    assert sorted(Snapshot.objects.values_list("pk", "reports", "score", "run_id")) == before
    assert SnapshotRun.objects.filter(status="failed").count() == 1
    monkeypatch.setattr(compute, "_after_write_hook", None)
    compute_snapshots(kind="month", first=JAN, now=NOW)
    assert snap("district", county.d1.pk).reports == 7


def test_rerun_rewrites_only_rows_whose_figures_changed(county):
    first_run = snap("district", county.d1.pk).run_id
    add_report(county)
    result = compute_snapshots(kind="month", first=JAN, now=NOW)
    run = SnapshotRun.objects.get(pk=result.run_id)
    # TA1, D1, the station and the county changed; TA2, TA3 and D2 did not.
    assert run.source["changed"] == 4
    assert snap("district", county.d1.pk).run_id == result.run_id
    assert snap("district", county.d2.pk).run_id == first_run


def test_snapshot_records_when_and_from_what(county):
    s = snap("district", county.d1.pk)
    assert s.computed_at == NOW
    assert s.run.status == "done"
    assert s.run.source["reports_total"] == 7
    assert s.run.source["max_report_id"] == max(r.pk for r in county.reports.values())
    assert s.run.rows == Snapshot.objects.filter(run=s.run).count()


def test_a_grid_refresh_records_the_reports_of_its_grid(county):
    from patrols.models import Report

    result = compute_snapshots(kind="month", first=JAN, district_id=county.d1.pk, now=NOW)
    run = SnapshotRun.objects.get(pk=result.run_id)
    in_d1 = Report.objects.filter(district=county.d1).count()
    assert in_d1 < Report.objects.count()  # the county has reports elsewhere too
    assert run.source["reports_total"] == in_d1
    assert run.source["max_report_id"] == max(r.pk for r in county.reports.values())


def test_day_rows_exist_only_where_something_was_reported(county):
    compute_snapshots(kind="day", first=JAN, last=JAN.replace(day=31), now=NOW)
    days = Snapshot.objects.filter(level="district", scope_id=county.d1.pk, period="day")
    assert sorted(d.period_start.day for d in days) == [5, 6, 10, 12, 15, 20]
    assert days.get(period_start=JAN.replace(day=5)).households_signed is None


def test_one_district_refresh_touches_only_that_district(county):
    other = snap("district", county.d2.pk)
    station_before = snap("station", county.station.pk)
    compute_snapshots(kind="month", first=JAN, district_id=county.d1.pk, now=NOW)
    assert snap("district", county.d2.pk).pk == other.pk
    assert snap("station", county.station.pk).pk == station_before.pk
    assert snap("district", county.d1.pk).reports == 6


def _planner_setting_at(statement_prefixes: tuple[str, ...], fn) -> dict[str, set[str]]:
    """`enable_nestloop` as each statement starting with one of the prefixes ran."""
    from django.db import connection

    seen: dict[str, set[str]] = {p: set() for p in statement_prefixes}

    def wrapper(execute, sql, params, many, context):
        for prefix in statement_prefixes:
            if sql.lstrip().startswith(prefix):
                context["cursor"].execute("SHOW enable_nestloop")
                seen[prefix].add(context["cursor"].fetchone()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn()
    return seen


PATROLS = "CREATE TEMP TABLE stats_tmp_patrols"
KIND = "WITH periods AS"


def test_a_whole_refresh_plans_the_patrolled_segments_with_nested_loops(county):
    # Each report's instants are a function call per report: with nested loops disabled the
    # planner walked the segment index over every report (1.0 s against 0.27 s on a county,
    # docs/benchmarks.md, M6). The kind statements keep them off (their misestimated nested
    # loops took minutes).
    seen = _planner_setting_at(
        (PATROLS, KIND), lambda: compute_snapshots(kind="month", first=JAN, now=NOW)
    )
    assert seen == {PATROLS: {"on"}, KIND: {"off"}}
    # A grid's own refresh has nested loops on throughout (index lookups of its reports).
    seen = _planner_setting_at(
        (PATROLS, KIND),
        lambda: compute_snapshots(kind="month", first=JAN, district_id=county.d1.pk, now=NOW),
    )
    assert seen == {PATROLS: {"on"}, KIND: {"on"}}


def test_front_doors_at_each_period_end_follow_the_assignments_dates():
    """Front doors are counted per as-of instant (stats.compute._front_doors_sql): each
    month's and the year's rows equal the ORM definition (pledges.figures.
    assignment_in_force on the period's as-of day) for assignments that start, end, are
    cancelled or wait for confirmation within the year, and for an inactive household."""
    import datetime as dt

    from django.utils import timezone

    from pledges import figures as plf
    from pledges.models import Assignment

    c = small_county(with_reports=False)
    h = c.households
    plan = [  # household, state, from, until, cancelled
        (h[0], "confirmed", dt.date(2025, 6, 1), None, False),
        (h[1], "adjusted", dt.date(2026, 3, 31), dt.date(2026, 7, 31), False),
        (h[2], "confirmed", dt.date(2026, 5, 1), dt.date(2026, 5, 31), False),
        (h[2], "confirmed", dt.date(2026, 6, 2), None, False),  # a day's gap at May's end
        (h[3], "proposed", dt.date(2025, 1, 1), None, False),
        (h[4], "confirmed", dt.date(2025, 1, 1), None, True),
        (h[5], "confirmed", dt.date(2026, 1, 31), dt.date(2026, 1, 31), False),
        (h[6], "confirmed", dt.date(2026, 12, 31), None, False),
        (h[7], "confirmed", dt.date(2025, 1, 1), None, False),
    ]
    for household, state, since, until, cancelled in plan:
        district = household.transformer_area.district
        Assignment.objects.create(
            scope="front_door", district=district, segment=district.segments.first(),
            household=household, front_door_state=state, valid_from=since, valid_until=until,
            cancelled_at=timezone.now() if cancelled else None,
        )  # fmt: skip
    h[7].is_active = False
    h[7].save()
    now = dt.datetime(2026, 12, 31, 12, 0, tzinfo=dt.UTC)
    compute.compute_kinds(kinds=["month", "year"], first=JAN, last=dt.date(2026, 12, 31), now=now)
    compared = 0
    for s in Snapshot.objects.filter(level__in=["district", "transformer_area"]):
        as_of_day = timezone.localdate(s.as_of - dt.timedelta(microseconds=1))
        area = (
            {"household__transformer_area__district": s.scope_id}
            if s.level == "district"
            else {"household__transformer_area": s.scope_id}
        )
        in_force = Assignment.objects.filter(
            plf.assignment_in_force(as_of_day),
            scope="front_door",
            front_door_state__in=["confirmed", "adjusted"],
            household__is_active=True,
            **area,
        )
        expected = in_force.values("household").distinct().count()
        assert s.front_doors_confirmed == expected, (s.level, s.period, s.period_start)
        compared += 1
    months = Snapshot.objects.filter(level="district", scope_id=c.d1.pk, period="month")
    d1 = {s.period_start.month: s.front_doors_confirmed for s in months}
    # h0 throughout; h1 from March's last day to July's; h2 on May's last day (its first
    # stretch ends that day) and again from 2 June; h5 only on 31 January.
    assert d1 == {1: 2, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3, 7: 3, 8: 2, 9: 2, 10: 2, 11: 2, 12: 2}
    assert compared == 13 * (2 + 3)
