"""Demo step: a year of plausible patrol reports per station, run by `manage.py load_demo`
after the core and pledges data (registered in PatrolsConfig.ready). Idempotent: a station
that already has reports is left as it is.

Proportions follow ../shared/domain.md: the station's figures (2,000 tree obstacles cleared
by the villagers themselves, 700 obstructing trees removed, 30 construction activities
stopped, the nine unsafe behaviours gone) are the year's totals here, so the dashboards
open on the numbers the station reports. Everything is bulk-created; the village of each
report is set afterwards in one SQL UPDATE (nearest household, KNN on the GiST index).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import uuid
from collections.abc import Sequence
from typing import Any

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from houhu.accounts.models import User
from houhu.grid.models import Segment
from houhu.lib.bulk import analyze

from . import figures
from .models import Report, ReportEvent

S = Report.Status
K = Report.Kind
A = ReportEvent.Action
M_PER_DEG_LAT = 110_900.0

# (kind, final status, how many, cleared_by) per station and year.
PLAN: list[tuple[str, str, int, str]] = [
    (K.TREE, S.VERIFIED, 1_700, "self"),
    (K.TREE, S.CLEARED, 300, "self"),
    (K.TREE, S.VERIFIED, 120, "crew"),
    (K.TREE, S.CONFIRMED, 80, ""),
    (K.TREE, S.SUBMITTED, 40, ""),
    (K.TREE, S.REOPENED, 30, "self"),
    (K.TREE, S.REJECTED, 30, ""),
    (K.DAMAGE, S.VERIFIED, 45, "crew"),
    (K.DAMAGE, S.CONFIRMED, 10, ""),
    (K.DAMAGE, S.SUBMITTED, 5, ""),
    (K.OTHER, S.VERIFIED, 20, "self"),
    (K.OTHER, S.REJECTED, 10, ""),
    (K.NOTHING_FOUND, S.RECORDED, 1_500, ""),
]  # fmt: skip
CONSTRUCTION_PLAN = [(S.VERIFIED, 20), (S.STOPPED, 10), (S.PERMITTED, 8), (S.ESCALATED, 4),
                     (S.SUBMITTED, 3)]  # fmt: skip
TREES_REMOVED = 700
# The actions that lead from "submitted" to each final status.
PATHS = {
    (True, S.SUBMITTED): [],
    (True, S.CONFIRMED): [A.CONFIRM],
    (True, S.REJECTED): [A.REJECT],
    (True, S.CLEARED): [A.CONFIRM, A.CLEAR],
    (True, S.VERIFIED): [A.CONFIRM, A.CLEAR, A.VERIFY],
    (True, S.REOPENED): [A.CONFIRM, A.CLEAR, A.NOT_FIXED],
    (False, S.SUBMITTED): [],
    (False, S.STOPPED): [A.STOP],
    (False, S.PERMITTED): [A.PERMIT],
    (False, S.ESCALATED): [A.ESCALATE],
    (False, S.VERIFIED): [A.STOP, A.VERIFY],
}
TARGET = {
    A.CONFIRM: S.CONFIRMED, A.REJECT: S.REJECTED, A.CLEAR: S.CLEARED, A.VERIFY: S.VERIFIED,
    A.NOT_FIXED: S.REOPENED, A.STOP: S.STOPPED, A.PERMIT: S.PERMITTED, A.ESCALATE: S.ESCALATED,
}  # fmt: skip
NOTES = {
    A.CONFIRM: "现场核实，情况属实",  # noqa: RUF001 - Chinese punctuation in Chinese text
    A.REJECT: "重复上报",
    A.CLEAR: "已清理",
    A.VERIFY: "复查合格",
    A.NOT_FIXED: "还没弄好",
    A.STOP: "已劝停施工",
    A.PERMIT: "已办理手续，落实安全措施",  # noqa: RUF001 - as above
    A.ESCALATE: "移交供电公司处理",
}
# Hours after the previous step, drawn from a log-normal: most quick, some slow.
DELAYS_H = {
    A.CONFIRM: (2.0, 1.0), A.REJECT: (2.0, 1.0), A.CLEAR: (4.0, 0.8), A.VERIFY: (3.5, 0.8),
    A.NOT_FIXED: (4.0, 0.8), A.STOP: (0.0, 0.5), A.PERMIT: (3.0, 0.7), A.ESCALATE: (2.0, 0.7),
}  # fmt: skip


WITNESSES = ["村民代表王建国", "村委会李春梅", "护线员张德胜", "组长刘志强"]


def _clock_hours(kind: str, status: str) -> float | None:
    """The service target running on a report of this kind left in this status, if any."""
    if kind == K.NOTHING_FOUND:
        return None
    if status in Report.AWAITING_DECISION:
        return float(figures.default_targets())
    if status in Report.AWAITING_CLEARING:
        return float(figures.clear_hours()[kind])
    return None


def load_demo(*, stations: Sequence, seed: int) -> None:
    for station in stations:
        if Report.objects.filter(district__station=station).exists():
            continue
        rng = random.Random(f"{seed}-patrols-{station.code}")  # noqa: S311 - reproducible demo
        _load_station(station, rng)


def _point_near(segment: Segment, rng: random.Random) -> tuple[Point, float]:
    coords = segment.geom.coords
    i = rng.randrange(len(coords) - 1)
    (x0, y0), (x1, y1) = coords[i], coords[i + 1]
    t = rng.random()
    x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
    m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(y))
    dx, dy = (x1 - x0) * m_per_deg_lon, (y1 - y0) * M_PER_DEG_LAT
    length = math.hypot(dx, dy) or 1.0
    # Most hazards sit close to the conductor; the offset is perpendicular to the segment.
    offset = min(abs(rng.gauss(0, 6.0)), 40.0) * rng.choice((-1, 1))
    nx, ny = -dy / length * offset, dx / length * offset
    return Point(x + nx / m_per_deg_lon, y + ny / M_PER_DEG_LAT, srid=4326), abs(offset)


@transaction.atomic
def _load_station(station, rng: random.Random) -> None:
    segments = list(
        Segment.objects.filter(district__station=station).select_related("line", "district")
    )
    if not segments:
        return
    villagers = list(
        User.objects.filter(
            role=User.Role.VILLAGER, household__transformer_area__district__station=station
        )
    )
    staff = list(User.objects.filter(role=User.Role.STAFF, station=station))
    managers = {s.district_id: s.district.manager for s in segments}
    fallback = staff[0] if staff else next((m for m in managers.values() if m), None)
    if fallback is None:
        return
    reporters = villagers or [fallback]
    now = timezone.now()

    # (kind, final status, cleared_by, behaviour)
    jobs: list[tuple[str, str, str, str]] = []
    for kind, status, n, cleared_by in PLAN:
        jobs += [(kind, status, cleared_by, "")] * n
    for status, n in CONSTRUCTION_PLAN:
        jobs += [(K.CONSTRUCTION, status, "", "")] * n
    for behaviour in Report.Behaviour.values:
        n = rng.randint(15, 45)
        done = int(n * 0.8)
        jobs += [(K.BEHAVIOUR, S.VERIFIED, "self", behaviour)] * done
        jobs += [(K.BEHAVIOUR, S.CONFIRMED, "", behaviour)] * (n - done - 2)
        jobs += [(K.BEHAVIOUR, S.SUBMITTED, "", behaviour)] * 2
    rng.shuffle(jobs)
    # Trees are counted on clearings that stand (not on reopened ones).
    cleared_trees = [
        i for i, j in enumerate(jobs) if j[0] == K.TREE and j[1] in (S.CLEARED, S.VERIFIED)
    ]
    trees: dict[int, int] = {}
    for _ in range(TREES_REMOVED if cleared_trees else 0):
        i = rng.choice(cleared_trees)
        trees[i] = trees.get(i, 0) + 1

    # Four eyes (patrols.workflow): a hazard's verification is by someone other than who
    # recorded its clearing, with evidence from the site. Drawn from their own generator so
    # that the rest of the demo stays what it was.
    eyes = random.Random(f"four-eyes-{station.code}")  # noqa: S311 - reproducible demo
    people = [*staff, *{m.pk: m for m in managers.values() if m}.values()] or [fallback]

    def second_person(first):
        others = [p for p in people if p.pk != first.pk]
        return eyes.choice(others) if others else first

    reports: list[Report] = []
    chains: list[list[tuple[str, str, str, dt.datetime, Any]]] = []
    for i, (kind, status, cleared_by, behaviour) in enumerate(jobs):
        segment = rng.choice(segments)
        location, dist = _point_near(segment, rng)
        zone_m = segment.line.protection_zone()["zone_m"]
        reporter = rng.choice(reporters)
        manager = managers.get(segment.district_id) or fallback
        actor = manager if rng.random() < 0.6 else rng.choice(staff or [fallback])
        written = now - dt.timedelta(seconds=rng.uniform(3 * 3600, 365 * 86400))
        # One report in twenty waited offline on the phone for hours or days.
        received = written + dt.timedelta(
            seconds=rng.uniform(1, 30) if rng.random() > 0.05 else rng.uniform(3600, 5 * 86400)
        )
        # Never in the future: a report's events (and its status at any instant) follow
        # its receipt.
        received = min(received, now)
        hazard = kind != K.CONSTRUCTION
        steps, at = [], received
        path = [] if kind == K.NOTHING_FOUND else PATHS[(hazard, status)]
        for action in path:
            mu, sigma = DELAYS_H[action]
            at = min(at + dt.timedelta(hours=rng.lognormvariate(mu, sigma)), now)
            by = reporter if action == A.NOT_FIXED else actor
            if action == A.VERIFY and hazard:
                by = second_person(actor)
            steps.append((action, TARGET[action], NOTES[action], at, by))
        # A report still on a clock is recent: it entered its status within 1.35 times its
        # service target (patrols.figures), so about a quarter of the open ones are
        # overdue, as in a station that keeps up, instead of nearly all of them.
        clock = _clock_hours(kind, status)
        if clock is not None:
            since = now - dt.timedelta(hours=rng.uniform(0.05, 1.35) * clock)
            shift = since - at
            written, received, at = written + shift, received + shift, since
            steps = [(a, t, n, when + shift, by) for a, t, n, when, by in steps]
        milestones = {a: t for a, _, _, t, _ in steps}
        is_tree = kind == K.TREE
        reports.append(
            Report(
                client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                content_hash=hashlib.sha256(f"demo-{station.code}-{i}".encode()).hexdigest(),
                reporter=reporter,
                kind=kind,
                status=S.RECORDED if kind == K.NOTHING_FOUND else status,
                location=location,
                accuracy_m=round(rng.uniform(3, 25), 1),
                location_source=Report.LocationSource.GPS
                if rng.random() < 0.85
                else Report.LocationSource.MAP,
                segment=segment,
                distance_m=round(dist, 2),
                in_zone=dist <= zone_m,
                district_id=segment.district_id,
                transformer_area_id=segment.transformer_area_id,
                tree_count=rng.randint(1, 4) if is_tree else None,
                tree_distance_m=round(rng.uniform(0.5, 4.0), 1) if is_tree else None,
                construction_kind=rng.choice(Report.ConstructionKind.values)
                if kind == K.CONSTRUCTION
                else "",
                construction_stopped=(status in (S.STOPPED, S.VERIFIED))
                if kind == K.CONSTRUCTION
                else None,
                behaviour=behaviour,
                damage_kind=rng.choice(Report.DamageKind.values) if kind == K.DAMAGE else "",
                trees_removed=trees.get(i, 0) if is_tree and A.CLEAR in milestones else None,
                cleared_by=cleared_by if A.CLEAR in milestones else "",
                note="",
                submitted_at=written,
                received_at=received,
                confirmed_at=milestones.get(A.CONFIRM),
                cleared_at=milestones.get(A.CLEAR),
                verified_at=milestones.get(A.VERIFY),
                status_changed_at=at,
            )
        )
        chains.append(steps)

    Report.objects.bulk_create(reports, batch_size=1000)
    events: list[ReportEvent] = []
    for report, steps in zip(reports, chains, strict=True):
        events.append(
            ReportEvent(
                report=report, actor=report.reporter, at=report.received_at, action=A.SUBMIT,
                from_status="", to_status=S.RECORDED if report.kind == K.NOTHING_FOUND
                else S.SUBMITTED,
            )
        )  # fmt: skip
        previous = S.SUBMITTED
        for action, target, note, at, by in steps:
            data: dict[str, Any] = {}
            evidence: dict[str, Any] = {}
            if action == A.VERIFY and report.kind != K.CONSTRUCTION:
                # Mostly a photo taken on the spot; sometimes a villager who was there.
                if eyes.random() < 0.8:
                    evidence = {"evidence_distance_m": round(eyes.uniform(2, 40), 1)}
                else:
                    evidence = {"witness_name": eyes.choice(WITNESSES)}
            if action == A.CLEAR:
                data = {"cleared_by": report.cleared_by}
                if report.trees_removed is not None:
                    data["trees_removed"] = report.trees_removed
            events.append(
                ReportEvent(
                    report=report, actor=by, at=at, action=action, from_status=previous,
                    to_status=target, note=note, data=data, **evidence,
                )
            )  # fmt: skip
            previous = target
    ReportEvent.objects.bulk_create(events, batch_size=2000)
    analyze(Report, ReportEvent)

    # The village: the nearest household's (KNN on the geometry GiST index), in one UPDATE.
    with connection.cursor() as cur:
        cur.execute(
            f"""
            UPDATE {Report._meta.db_table} r SET village_id = (
                SELECT h.village_id FROM grid_household h
                ORDER BY h.location <-> r.location LIMIT 1)
            FROM grid_district d
            WHERE d.id = r.district_id AND d.station_id = %s AND r.village_id IS NULL
            """,  # noqa: S608 - the table name is the model's, never input
            [station.pk],
        )


def register() -> None:
    """Called by PatrolsConfig.ready: run this step after the core data (and the steps of the apps
    listed before this one in INSTALLED_APPS)."""
    from houhu.grid import demo as core

    core.register_step("patrols.demo", load_demo)
