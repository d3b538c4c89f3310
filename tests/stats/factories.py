"""A small county whose January 2026 figures are worked out by hand in tests/stats.

Station S with grid D1 (transformer areas TA1: 4 households, TA2: 2) and grid D2 (TA3: 2
households); three segments of equal length (two in D1, one in D2), one of D1's assigned.
Reports are received in January 2026 (local time, Asia/Shanghai); "now" is 1 Feb 00:00.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import LineString

from patrols.models import Report
from tests.factories import (
    DistrictFactory,
    HouseholdFactory,
    LineFactory,
    SegmentFactory,
    StationFactory,
    TransformerAreaFactory,
    UserFactory,
)
from tests.patrols.factories import ReportFactory, add_history
from tests.pledges.factories import PledgeFactory, SegmentAssignmentFactory

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 2, 1, 0, 0, tzinfo=TZ)
JAN = dt.date(2026, 1, 1)


def at(day: int, hour: int = 8, month: int = 1) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


@dataclass
class County:
    station: object
    d1: object
    d2: object
    tas: list
    segments: list
    households: list
    reports: dict = field(default_factory=dict)


def report(**kw) -> Report:
    received = kw.pop("received_at")
    kw.setdefault("submitted_at", received)
    kw.setdefault("status_changed_at", received)
    return add_history(ReportFactory(received_at=received, **kw))


def small_county(*, with_reports: bool = True) -> County:
    station = StationFactory(name="后湖供电所")
    d1 = DistrictFactory(station=station, name="第一网格")
    d2 = DistrictFactory(station=station, name="第二网格")
    ta1 = TransformerAreaFactory(district=d1, name="1号台区")
    ta2 = TransformerAreaFactory(district=d1, name="2号台区")
    ta3 = TransformerAreaFactory(district=d2, name="3号台区")
    households = (
        [HouseholdFactory(transformer_area=ta1) for _ in range(4)]
        + [HouseholdFactory(transformer_area=ta2) for _ in range(2)]
        + [HouseholdFactory(transformer_area=ta3) for _ in range(2)]
    )
    line = LineFactory(station=station)
    geom = LineString((112.80, 30.46), (112.81, 30.46), srid=4326)
    seg1 = SegmentFactory(line=line, district=d1, transformer_area=ta1, geom=geom)
    seg2 = SegmentFactory(line=line, district=d1, transformer_area=ta2, geom=geom.clone())
    seg3 = SegmentFactory(line=line, district=d2, transformer_area=ta3, geom=geom.clone())
    # Pledges: 3 of TA1's households signed in 2025; one of them withdrew on 10 January.
    version = None
    for i, hh in enumerate(households[:3]):
        kw = {"version": version} if version else {}
        p = PledgeFactory(household=hh, signed_at=at(1, month=6).replace(year=2025), **kw)
        version = p.version
        if i == 2:
            p.status = "withdrawn"
            p.ended_at = at(10)
            p.save(update_fields=["status", "ended_at"])
    # 我包段: seg1 has a guard from 2024 on; seg2 only from March 2026 (not yet in January).
    SegmentAssignmentFactory(segment=seg1, valid_from=dt.date(2024, 1, 1))
    SegmentAssignmentFactory(segment=seg2, valid_from=dt.date(2026, 3, 1))
    county = County(station, d1, d2, [ta1, ta2, ta3], [seg1, seg2, seg3], households)
    if with_reports:
        add_january_reports(county)
    return county


def add_january_reports(c: County) -> None:
    staff = UserFactory()
    base = {"reporter": staff}
    d1 = {**base, "district": c.d1, "transformer_area": c.tas[0], "segment": c.segments[0]}
    r = c.reports
    # r1: tree, confirmed after 2 h, cleared by villagers after 3 days, verified at 5 days.
    r["r1"] = report(
        **d1, kind="tree", status="verified", in_zone=True, distance_m=2.0,
        received_at=at(5), confirmed_at=at(5) + 2 * H, cleared_at=at(5) + 3 * D,
        verified_at=at(5) + 5 * D, cleared_by="self", trees_removed=3,
    )  # fmt: skip
    # r2: tree, confirmed after 30 h (late), never cleared: overdue for clearing by now.
    r["r2"] = report(
        **d1, kind="tree", status="confirmed", in_zone=True, distance_m=3.0,
        received_at=at(6), confirmed_at=at(6) + 30 * H,
    )  # fmt: skip
    # r3: clothes on lines, never looked at: overdue for confirmation, open, outside the zone.
    r["r3"] = report(
        **d1, kind="behaviour", behaviour="clothes_on_lines", status="submitted",
        in_zone=False, distance_m=12.0, received_at=at(10),
    )  # fmt: skip
    # r4: excavation, stopped by the villager and staff within an hour.
    r["r4"] = report(
        **d1, kind="construction", construction_kind="excavation", construction_stopped=True,
        status="stopped", received_at=at(12), status_changed_at=at(12) + H,
    )  # fmt: skip
    # r5: pole damage, rejected after 48 h: overdue for a decision.
    r["r5"] = report(
        **d1, kind="damage", damage_kind="pole", status="rejected",
        received_at=at(15), status_changed_at=at(15) + 48 * H,
    )  # fmt: skip
    # r6: a patrol of seg1, nothing found.
    r["r6"] = report(**d1, kind="nothing_found", status="recorded", received_at=at(20))
    # r7 in D2: tree confirmed after 4 h, cleared by a crew after a day, verified at 2 days.
    r["r7"] = report(
        **base, district=c.d2, transformer_area=c.tas[2], segment=c.segments[2],
        kind="tree", status="verified", in_zone=True, distance_m=1.0,
        received_at=at(20), confirmed_at=at(20) + 4 * H, cleared_at=at(21),
        verified_at=at(22), cleared_by="crew", trees_removed=1,
    )  # fmt: skip
