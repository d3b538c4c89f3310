"""The station's counts on a small fixture computed by hand (incl. median and p90).

Period: 1-30 November 2026 (local dates). Grid A holds, all received 10 Nov 08:00:
 1 tree verified: self-cleared, 3 trees, confirmed +2 h, verified +10 h, in zone, seg west
 2 tree cleared by crew, 1 tree, confirmed +4 h, seg east
 3 tree confirmed +6 h, in zone (open), seg east
 4 tree rejected (never counted)
 5 tree submitted 15 Oct, in zone (open now; outside the period), seg 3
 6 construction stopped · 7 construction not stopped
 8 behaviours: wet hands x2, fishing x1, one more wet hands rejected
 9 nothing found, 20 Nov, seg west
Grid B (same station): one tree, confirmed +1 h.

By hand, grid A: tree reported 3 (1, 2, 3); cleared 2 (self 1, crew 1), trees removed 4;
construction stopped 1; behaviours wet_hands 2, fishing 1; hours to confirmation [2, 4, 6]
→ median 4, p90 = 4 + 0.8 * (6 - 4) = 5.6; to verified clearing [10] → 10, 10; segments
patrolled in the 30 days to 30 Nov: west, east = 2. At the end of November (default targets
24 h / 7 days): open 6 (3, 5, 7 and the three behaviours), of which in the zone 2 (3, 5),
overdue for confirmation 5 (5, 7, behaviours), overdue for clearing 1 (3, confirmed 10 Nov).
Station: confirmation [1, 2, 4, 6] → median 3, p90 = 4 + 0.7 * 2 = 5.4; reported 4.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import LineString

from patrols.selectors import report_counts
from tests.factories import LON0, DistrictFactory, SegmentFactory, point, square
from tests.patrols.factories import ReportFactory, add_history, build_grid

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
BASE = dt.datetime(2026, 11, 10, 8, 0, tzinfo=TZ)
H = dt.timedelta(hours=1)
SINCE, UNTIL = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


@pytest.fixture
def g():
    g = build_grid()
    g.district_b = DistrictFactory(station=g.station, boundary=square(x0=LON0 + 0.02, size=0.02))
    seg3 = SegmentFactory(
        line=g.line, seq=3, district=g.district, geom=LineString(point(0, 800), point(500, 800))
    )

    def r(**kw):
        kw.setdefault("district", g.district)
        kw.setdefault("transformer_area", g.ta)
        kw.setdefault("received_at", BASE)
        kw.setdefault("submitted_at", kw["received_at"])
        # Decided an hour after receipt unless the milestones say otherwise.
        kw.setdefault("status_changed_at", kw["received_at"] + H)
        return add_history(ReportFactory(**kw))

    west, east = g.segment_west, g.segment_east
    r(
        kind="tree",
        status="verified",
        cleared_by="self",
        trees_removed=3,
        confirmed_at=BASE + 2 * H,
        cleared_at=BASE + 5 * H,
        verified_at=BASE + 10 * H,
        in_zone=True,
        segment=west,
        distance_m=2,
    )
    r(
        kind="tree",
        status="cleared",
        cleared_by="crew",
        trees_removed=1,
        confirmed_at=BASE + 4 * H,
        cleared_at=BASE + 72 * H,
        segment=east,
        distance_m=8,
    )
    r(
        kind="tree",
        status="confirmed",
        confirmed_at=BASE + 6 * H,
        in_zone=True,
        segment=east,
        distance_m=3,
    )
    r(kind="tree", status="rejected")
    r(
        kind="tree",
        status="submitted",
        received_at=dt.datetime(2026, 10, 15, 9, tzinfo=TZ),
        in_zone=True,
        segment=seg3,
        distance_m=1,
    )
    r(kind="construction", status="stopped", construction_stopped=True)
    r(kind="construction", status="submitted", construction_stopped=False)
    r(kind="behaviour", behaviour="wet_hands")
    r(kind="behaviour", behaviour="wet_hands")
    r(kind="behaviour", behaviour="fishing_under_lines")
    r(kind="behaviour", behaviour="wet_hands", status="rejected")
    r(
        kind="nothing_found",
        status="recorded",
        segment=west,
        distance_m=4,
        received_at=dt.datetime(2026, 11, 20, 17, tzinfo=TZ),
    )
    r(
        kind="tree",
        district=g.district_b,
        transformer_area=None,
        confirmed_at=BASE + H,
        status="confirmed",
    )
    # Another station: never in this station's counts.
    r(kind="tree", district=g.other_district, transformer_area=None)
    return g  # fmt: skip


def _by_id(rows):
    return {row["id"]: row for row in rows}


def test_district_counts_match_the_hand_computed_figures(g):
    rows = _by_id(report_counts(user=g.staff, level="district", since=SINCE, until=UNTIL))
    assert set(rows) == {g.district.pk, g.district_b.pk}
    a = rows[g.district.pk]
    assert (a["tree_places_reported"], a["tree_places_cleared"]) == (3, 2)
    assert (a["tree_places_cleared_self"], a["tree_places_cleared_crew"]) == (1, 1)
    assert a["trees_removed"] == 4
    assert a["construction_stopped"] == 1
    assert a["behaviours"]["wet_hands"] == 2
    assert a["behaviours"]["fishing_under_lines"] == 1
    assert a["behaviours"]["clothes_on_lines"] == 0
    assert len(a["behaviours"]) == 9
    assert (a["open_hazards"], a["open_in_zone"]) == (6, 2)
    assert (a["overdue_confirm"], a["overdue_clear"]) == (5, 1)
    assert a["hazards_reported"] == 8
    assert a["confirm_median_h"] == pytest.approx(4.0)
    assert a["confirm_p90_h"] == pytest.approx(5.6)
    assert a["clear_median_h"] == pytest.approx(10.0)
    assert a["clear_p90_h"] == pytest.approx(10.0)
    assert a["segments_patrolled_30d"] == 2
    b = rows[g.district_b.pk]
    assert (b["tree_places_reported"], b["confirm_median_h"], b["clear_median_h"]) == (
        1, pytest.approx(1.0), None,
    )  # fmt: skip
    assert (b["open_hazards"], b["overdue_clear"]) == (1, 1)


def test_station_level_pools_the_grids_for_median_and_p90(g):
    (row,) = report_counts(user=g.staff, level="station", since=SINCE, until=UNTIL)
    assert row["id"] == g.station.pk
    assert row["tree_places_reported"] == 4
    assert row["confirm_median_h"] == pytest.approx(3.0)
    assert row["confirm_p90_h"] == pytest.approx(5.4)


def test_transformer_area_level(g):
    rows = _by_id(report_counts(user=g.staff, level="transformer_area", since=SINCE, until=UNTIL))
    assert rows[g.ta.pk]["tree_places_reported"] == 3
    assert rows[None]["tree_places_reported"] == 1  # grid B's report has no transformer area


def test_period_moves_the_counts(g):
    rows = _by_id(
        report_counts(user=g.staff, since=dt.date(2026, 10, 1), until=dt.date(2026, 10, 31))
    )
    a = rows[g.district.pk]
    assert (a["tree_places_reported"], a["tree_places_cleared"]) == (1, 0)
    assert a["segments_patrolled_30d"] == 1
    # At the end of October only report 5 (received 15 October) was open: it carries over.
    assert (a["open_hazards"], a["open_in_zone"], a["overdue_confirm"]) == (1, 1, 1)


def test_grid_manager_counts_only_their_grid(g):
    rows = report_counts(user=g.manager, since=SINCE, until=UNTIL)
    assert [row["id"] for row in rows] == [g.district.pk]


def test_counts_are_one_sql_statement(g, django_assert_num_queries):
    with django_assert_num_queries(1):
        report_counts(user=g.leader, level="village", since=SINCE, until=UNTIL)


def test_counts_api_returns_the_same_rows(client, g):
    client.force_login(g.staff)
    response = client.get(
        "/api/patrols/counts/", {"level": "district", "since": "2026-11-01", "until": "2026-11-30"}
    )
    assert response.status_code == 200
    body = _by_id(response.json())
    assert body[g.district.pk]["confirm_p90_h"] == pytest.approx(5.6)
    assert client.get("/api/patrols/counts/", {"level": "planet"}).status_code == 400
