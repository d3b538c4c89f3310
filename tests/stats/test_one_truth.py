"""One truth: for a generated stretch of activity in two grids (deterministic factories),
every figure shown for the same grid and period is the same number on every screen.

Screens: the live counts the staff workspace shows (/api/patrols/counts/, whole station
and one grid as the workspace's filter asks), the statistics API (/api/stats/snapshots/),
the dashboard (its figure cards), the CSV and Excel exports (the station's table of
grids), and the pledges coverage pages (the coverage tables and /api/pledges/coverage/).
Periods: November 2026, a complete month, and December 2026 while it runs (on 1 December
at 08:00: the running month's stocks are taken now, like the coverage pages' figures).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re

import pytest
import time_machine
from django.contrib.gis.geos import LineString
from django.utils import translation
from openpyxl import load_workbook

from houhu.accounts.models import User
from patrols import figures as pf
from patrols.models import Report
from pledges.models import Assignment, HouseholdVisit, Pledge
from stats.compute import compute_kinds
from stats.figures import LABELS
from tests.factories import (
    LAT0,
    LON0,
    DistrictFactory,
    HouseholdFactory,
    LineFactory,
    SegmentFactory,
    StationFactory,
    TransformerAreaFactory,
    UserFactory,
    manager_of,
)
from tests.pledges.factories import PledgeFactory, PublishedVersionFactory
from tests.stats.factories import TZ, report

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=TZ)
START = dt.datetime(2026, 9, 1, tzinfo=TZ)
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
S, K = Report.Status, Report.Kind

FLOWS = [*pf.FLOW_KEYS]
STOCKS = [*pf.STOCK_KEYS, pf.PATROLLED]
DURATIONS = pf.duration_keys()
COVERAGE = ["households", "households_signed", "front_doors_confirmed"]
RATES = ["pledge_rate", "responsibility_rate", "patrol_coverage"]

# The figures each screen shows (and this test compares), for the report.
SCREENS = {
    "patrols counts API (workspace)": [*FLOWS, "behaviours", *STOCKS, *DURATIONS],
    "stats API": [*FLOWS, "behaviours", *STOCKS, *DURATIONS, *COVERAGE, "household_visits"],
    "dashboard cards": [
        "hazards_reported", "open_hazards", "open_in_zone", "overdue_confirm", "overdue_clear",
        "tree_places_cleared", "tree_places_cleared_self", "trees_removed",
        "construction_stopped", "household_visits", "confirm_median_h", "clear_median_h",
        "pledge_rate", "responsibility_rate", "patrol_coverage", "score",
    ],
    "CSV / Excel export": [
        "households", "household_visits", "reports", "hazards_reported", "confirmed", "rejected",
        "cleared_self", "cleared_crew", "verified", "open_hazards", "open_in_zone",
        "overdue_confirm", "overdue_clear", *DURATIONS, "tree_places_reported",
        "tree_places_cleared", "tree_places_cleared_self", "tree_places_cleared_crew",
        "trees_removed", "construction_stopped", *RATES,
    ],
    "pledges coverage (tables, API)": [*COVERAGE, "pledge_rate", "responsibility_rate"],
}  # fmt: skip


def _hours(rng, low, high):
    return dt.timedelta(hours=rng.uniform(low, high))


def _report(rng, grid, staff):
    """One report with a consistent history, received between 1 September and now."""
    received = START + (NOW - dt.timedelta(hours=1) - START) * rng.random()
    kind = rng.choices(
        [K.TREE, K.BEHAVIOUR, K.DAMAGE, K.OTHER, K.CONSTRUCTION, K.NOTHING_FOUND],
        [35, 20, 5, 5, 12, 23],
    )[0]
    segment = rng.choice(grid["segments"]) if rng.random() < 0.9 else None
    kw = {
        "reporter": staff, "district": grid["district"], "kind": kind, "segment": segment,
        "transformer_area": segment.transformer_area if segment and rng.random() < 0.9
        else None,
        "in_zone": bool(segment) and rng.random() < 0.4, "received_at": received,
        # One report in five waited offline on the phone for up to three days.
        "submitted_at": received - (_hours(rng, 1, 72) if rng.random() < 0.2 else dt.timedelta()),
    }  # fmt: skip
    if segment:
        kw["distance_m"] = round(rng.uniform(0, 12), 1)
    if kind == K.BEHAVIOUR:
        kw["behaviour"] = rng.choice(Report.Behaviour.values)
    if kind == K.NOTHING_FOUND:
        return report(status=S.RECORDED, **kw)
    steps = []  # (action time, target status)
    at = received
    if kind == K.CONSTRUCTION:
        kw["construction_stopped"] = rng.random() < 0.3  # stopped by the villager at once
        path = rng.choice([[], [S.STOPPED], [S.PERMITTED], [S.ESCALATED], [S.REJECTED]])
    else:
        path = rng.choice(
            [[], [S.REJECTED], [S.CONFIRMED], [S.CONFIRMED, S.CLEARED],
             [S.CONFIRMED, S.CLEARED, S.VERIFIED], [S.CONFIRMED, S.CLEARED, S.VERIFIED],
             [S.CONFIRMED, S.CLEARED, S.REOPENED]]
        )  # fmt: skip
    for target in path:
        at = at + _hours(rng, 1, 60 if target == S.CONFIRMED else 240)
        if at >= NOW:
            break  # that step has not happened yet
        steps.append((at, target))
    status = steps[-1][1] if steps else S.SUBMITTED
    times = {t: a for a, t in steps}
    if S.CONFIRMED in times:
        kw["confirmed_at"] = times[S.CONFIRMED]
    if S.CLEARED in times:
        kw["cleared_at"] = times[S.CLEARED]
        kw["cleared_by"] = rng.choice(["self", "crew"])
        if kind == K.TREE:
            kw["trees_removed"] = rng.randint(0, 4)
    if S.VERIFIED in times and status == S.VERIFIED:
        kw["verified_at"] = times[S.VERIFIED]
    if status == S.STOPPED:
        kw["construction_stopped"] = True
    if status == S.PERMITTED:
        kw["construction_stopped"] = False
    kw["status_changed_at"] = steps[-1][0] if steps else received
    return report(status=status, **kw)


def _pledges(rng, households, versions, recorder):
    old, new = versions
    for h in households:
        roll = rng.random()
        if roll < 0.15:
            continue  # never signed
        signed = dt.datetime(2025, 6, 1, 9, tzinfo=TZ) if roll < 0.7 else (
            START + (NOW - START) * rng.random()
        )  # fmt: skip
        p = PledgeFactory(household=h, version=old, signed_at=signed, recorded_by=recorder)
        if roll > 0.9:  # withdrawn or renewed during the stretch
            ended = signed + (NOW - signed) * rng.random()
            renewed = rng.random() < 0.5
            p.status = Pledge.Status.RENEWED if renewed else Pledge.Status.WITHDRAWN
            p.ended_at = ended
            p.save(update_fields=["status", "ended_at"])
            if renewed:
                PledgeFactory(
                    household=h, version=new, signed_at=ended, recorded_by=recorder, previous=p
                )


def _responsibility(rng, grid):
    for i, seg in enumerate(grid["segments"][:2]):
        Assignment.objects.create(
            scope="segment", district=grid["district"], segment=seg, is_primary=True,
            person_name=f"护线员{i}", person_phone=f"1370000000{i}", valid_from=dt.date(2024, 1, 1),
        )  # fmt: skip
    for i, h in enumerate(grid["households"][:7]):
        Assignment.objects.create(
            scope="front_door", district=grid["district"], segment=grid["segments"][i % 3],
            household=h, front_door_state=["confirmed", "adjusted", "proposed"][i % 3],
            # One starts later this month: not a confirmed front door yet.
            valid_from=dt.date(2026, 12, 20) if i == 0 else dt.date(2025, 3, 1),
        )  # fmt: skip


def _grid(station, n):
    district = DistrictFactory(station=station, name=f"第{n}网格")
    tas = [TransformerAreaFactory(district=district) for _ in range(2)]
    households = [HouseholdFactory(transformer_area=tas[i % 2]) for i in range(10)]
    line = LineFactory(station=station)
    y = LAT0 + 0.01 * n
    segments = [
        SegmentFactory(
            line=line,
            seq=i + 1,
            district=district,
            transformer_area=tas[i % 2],
            geom=LineString((LON0 + 0.004 * i, y), (LON0 + 0.004 * (i + 1), y), srid=4326),
        )
        # Enough segments that "patrolled in the last 30 days" is not simply all of them.
        for i in range(12)
    ]
    manager = manager_of(district)
    return {"district": district, "tas": tas, "households": households, "segments": segments,
            "manager": manager}  # fmt: skip


@pytest.fixture
def world():
    rng = random.Random(2016)
    station = StationFactory(name="后湖供电所")
    staff = UserFactory(role=User.Role.STAFF, station=station)
    leader = UserFactory(role=User.Role.LEADER, county=station.county)
    grids = [_grid(station, n) for n in (1, 2)]
    versions = (PublishedVersionFactory(), PublishedVersionFactory())
    for g in grids:
        for _ in range(45):
            _report(rng, g, staff)
        _pledges(rng, g["households"], versions, staff)
        _responsibility(rng, g)
        for day in (3, 11, 19):
            HouseholdVisit.objects.create(
                household=rng.choice(g["households"]), visited_by=g["manager"],
                visited_on=dt.date(2026, 11, day), outcome="explained",
            )  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        compute_kinds(kinds=["day", "month", "year", "mtd"], first=START.date(), last=DEC, now=NOW)
    return {"station": station, "staff": staff, "leader": leader, "grids": grids}


def _same(a, b, key):
    if isinstance(a, float) or isinstance(b, float):
        return b == pytest.approx(a, abs=0.01 if key in DURATIONS else 1e-6)
    return a == b


def _mismatches(reference: dict, shown: dict, screen: str) -> list[str]:
    return [
        f"{screen}: {key} = {shown[key]!r}, snapshot says {reference.get(key)!r}"
        for key in shown
        if not _same(reference.get(key), shown[key], key)
    ]


def _snapshot_rows(client, start):
    rows = client.get(
        "/api/stats/snapshots/",
        {"level": "district", "period": "month", "period_start": start, "limit": 100},
    ).json()["results"]
    out = {}
    for r in rows:
        for rate in RATES:
            num, den = {
                "pledge_rate": ("households_signed", "households"),
                "responsibility_rate": ("covered_length_m", "line_length_m"),
                "patrol_coverage": (pf.PATROLLED, "segments"),
            }[rate]
            r[rate] = r[num] / r[den] if r[den] else None
            assert r[rate] == pytest.approx(r[f"{rate}"])
        out[r["scope_id"]] = r
    return out


def _counts(client, since, until, district=None):
    params = {"level": "district", "since": since, "until": until}
    if district:
        params["district"] = district
    rows = client.get("/api/patrols/counts/", params).json()
    return {r["id"]: r for r in rows}


def _cards(client, district_id, month):
    html = client.get(
        "/stats/", {"level": "district", "id": district_id, "month": month}
    ).content.decode()
    cards = dict(re.findall(r'data-key="(\w+)" data-value="([^"]*)"', html))
    return {k: (None if v == "" else float(v)) for k, v in cards.items()}


def _export(client, fmt, month):
    response = client.get(
        f"/stats/export/children.{fmt}", {"level": "station", "id": 0, "month": month}
    )
    return response


def _children_table(client, station_id, month):
    """{area name: {key: value}} from the station's table of grids, CSV and XLSX."""
    with translation.override("zh-hans"):
        headers = {str(LABELS[k]): k for k in SCREENS["CSV / Excel export"] if k in LABELS}
        headers[translation.gettext("Households")] = "households"
    params = {"level": "station", "id": station_id, "month": month}
    raw = client.get("/stats/export/children.csv", params).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw)))
    out_csv = {}
    for row in rows[1 : rows.index([])] if [] in rows else rows[1:]:  # the chain head follows
        values = {}
        for h, cell in zip(rows[0], row, strict=True):
            key = headers.get(h.removesuffix(" (%)"))
            if key and cell != "":
                value = float(cell)
                values[key] = value / 100 if h.endswith(" (%)") else value
            elif key:
                values[key] = None
        out_csv[row[0]] = values
    sheet = load_workbook(
        io.BytesIO(client.get("/stats/export/children.xlsx", params).content)
    ).active
    head = [c.value for c in sheet[1]]
    out_xlsx = {}
    for r in sheet.iter_rows(min_row=2, values_only=True):
        out_xlsx[r[0]] = {headers[h]: v for h, v in zip(head, r, strict=True) if h in headers}
    return out_csv, out_xlsx


def test_every_screen_shows_the_same_figures_for_the_same_grid_and_period(client, world):
    staff, grids = world["staff"], world["grids"]
    problems: list[str] = []
    compared = {screen: set() for screen in SCREENS}
    client.force_login(staff)
    with time_machine.travel(NOW, tick=False):
        for start, since, until, month in (
            (NOV, "2026-11-01", "2026-11-30", "2026-11"),
            (DEC, "2026-12-01", "2026-12-01", "2026-12"),  # the running month, on its 1st day
        ):
            snap = _snapshot_rows(client, start)
            live = _counts(client, since, until)
            csv_rows, xlsx_rows = _children_table(client, world["station"].pk, month)
            for g in grids:
                d = g["district"]
                ref = snap[d.pk]
                # The staff workspace: the whole station, and one grid as its filter asks.
                for rows in (live, _counts(client, since, until, district=d.pk)):
                    shown = {k: rows[d.pk][k] for k in SCREENS["patrols counts API (workspace)"]}
                    problems += _mismatches(ref, shown, f"counts {month} {d.name}")
                    compared["patrols counts API (workspace)"] |= set(shown)
                compared["stats API"] |= set(SCREENS["stats API"]) & set(ref)
                cards = _cards(client, d.pk, month)
                shown = {k: cards[k] for k in SCREENS["dashboard cards"] if k in cards}
                problems += _mismatches(ref, shown, f"dashboard {month} {d.name}")
                compared["dashboard cards"] |= set(shown)
                for name, table in (("csv", csv_rows), ("xlsx", xlsx_rows)):
                    shown = table[d.name]
                    if name == "csv":  # percentages to one decimal, hours to two
                        for k in RATES:
                            if shown.get(k) is not None and ref[k] is not None:
                                assert shown[k] == pytest.approx(ref[k], abs=0.0005)
                                shown[k] = ref[k]
                    problems += _mismatches(ref, shown, f"{name} {month} {d.name}")
                    compared["CSV / Excel export"] |= set(shown)
            if start == DEC:
                # The coverage pages show the compact and responsibility now: the running
                # month's snapshot is taken at the same instant.
                api = {
                    r["id"]: r
                    for r in client.get("/api/pledges/coverage/", {"level": "district"}).json()
                }
                html = client.get("/pledges/staff/coverage/tables/").content.decode()
                for g in grids:
                    d = g["district"]
                    ref = snap[d.pk]
                    row = api[d.pk]
                    shown = {
                        "households": row["households"],
                        "households_signed": row["signed"],
                        "front_doors_confirmed": row["front_doors_confirmed"],
                        "pledge_rate": row["pledge_rate"],
                        "responsibility_rate": row["responsibility_rate"],
                    }
                    # The pages round rates to 4 decimals and metres to 0.1 m.
                    for k in ("pledge_rate", "responsibility_rate"):
                        assert shown[k] == pytest.approx(ref[k], abs=5e-5)
                        shown[k] = ref[k]
                    assert row["covered_length_m"] == pytest.approx(
                        ref["covered_length_m"], abs=0.05
                    )
                    problems += _mismatches(ref, shown, f"coverage API {d.name}")
                    tr = re.search(
                        rf'<tr data-level="district" data-id="{d.pk}">(.*?)</tr>', html, re.S
                    )[1]
                    cells = dict(re.findall(r'data-key="(\w+)">(\d+)', tr))
                    shown = {k: int(v) for k, v in cells.items()}
                    problems += _mismatches(ref, shown, f"coverage tables {d.name}")
                    compared["pledges coverage (tables, API)"] |= set(shown) | {
                        "pledge_rate", "responsibility_rate"
                    }  # fmt: skip
    assert problems == []
    # Nothing was compared vacuously: every screen showed what it is listed for...
    for screen, keys in SCREENS.items():
        assert set(keys) <= compared[screen] | {"behaviours"}, screen
    # ...and the generated stretch exercises every kind of figure in both grids.
    nov = _snapshot_rows(client, NOV)
    for key in ("open_hazards", "overdue_confirm", "overdue_clear", "tree_places_cleared",
                "trees_removed", "construction_stopped", "households_signed",
                "front_doors_confirmed", pf.PATROLLED, "rejected", "verified"):  # fmt: skip
        assert sum(nov[g["district"].pk][key] for g in grids) > 0, key
