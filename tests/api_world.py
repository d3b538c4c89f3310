"""A small station with one object of every kind the API serves (reports with events,
compact versions and clauses, pledges, assignments, visits, notifications, day/month
statistics), for the tests that walk every operation with hostile input
(tests/test_hostile_input.py, tests/test_schema_fuzz.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.gis.geos import Polygon
from django.utils import timezone
from rest_framework.authtoken.models import Token

from houhu.accounts.models import User
from patrols.models import Notification, Report
from pledges.models import Assignment, Clause, HouseholdVisit
from stats.compute import compute_snapshots
from stats.models import Snapshot
from tests.grid.factories import World, build_world
from tests.patrols.factories import ReportFactory, add_history
from tests.pledges.factories import (
    ClauseFactory,
    CompactFactory,
    CompactVersionFactory,
    PledgeFactory,
    PublishedVersionFactory,
    SegmentAssignmentFactory,
)


@dataclass
class ApiWorld:
    grid: World
    ids: dict[str, int]
    tokens: dict[str, str]

    @property
    def staff(self) -> User:
        return self.grid.staff

    @property
    def villager(self) -> User:
        return self.grid.villager


def build_api_world() -> ApiWorld:
    w = build_world()
    w.staff.station.refresh_from_db()
    report = add_history(
        ReportFactory(
            reporter=w.villager,
            district=w.d1,
            location=w.h1.location.clone(),
            received_at=timezone.now(),
            status_changed_at=timezone.now(),
        )
    )
    compact = CompactFactory(station=w.station)
    version = PublishedVersionFactory(compact=compact, number=1, effective_from=dt.date(2024, 1, 1))
    ClauseFactory(version=version, number=1)
    draft = CompactVersionFactory(compact=compact, number=2)
    clause = ClauseFactory(version=draft, number=1, kind=Clause.Kind.PROTECTION)
    pledge = PledgeFactory(household=w.h1, version=version, recorded_by=w.staff)
    segment_assignment = SegmentAssignmentFactory(segment=w.seg1, user=w.manager)
    patch = Assignment.objects.create(
        scope=Assignment.Scope.PATCH,
        district=w.d1,
        patch=Polygon.from_bbox((112.801, 30.451, 112.805, 30.455)),
        person_name="张三",
        valid_from=dt.date(2024, 1, 1),
    )
    visit = HouseholdVisit.objects.create(
        household=w.h2,
        visited_on=timezone.localdate(),
        visited_by=w.manager,
        outcome=HouseholdVisit.Outcome.EXPLAINED,
    )
    notification = Notification.objects.create(
        recipient=w.villager,
        report=report,
        event=report.events.first(),
        verb=Notification.Verb.STATUS_CHANGED,
        message="",
    )
    today = timezone.localdate()
    compute_snapshots(kind="day", first=today - dt.timedelta(days=2), last=today)
    compute_snapshots(kind="month", first=today.replace(day=1))
    day = Snapshot.objects.filter(period="day").order_by("pk").first()
    assert day is not None, "the day rows are what broke the snapshot list"
    tokens = {
        role: Token.objects.get_or_create(user=user)[0].key
        for role, user in (("staff", w.staff), ("villager", w.villager))
    }
    ids = {
        "report": report.pk,
        "compact": compact.pk,
        "version": version.pk,
        "draft": draft.pk,
        "clause": clause.pk,
        "pledge": pledge.pk,
        "assignment": segment_assignment.pk,
        "patch": patch.pk,
        "visit": visit.pk,
        "notification": notification.pk,
        "snapshot": day.pk,
        "household": w.h1.pk,
        "district": w.d1.pk,
        "village": w.village.pk,
        "segment": w.seg1.pk,
    }
    assert Report.objects.filter(pk=report.pk).exists()
    return ApiWorld(grid=w, ids=ids, tokens=tokens)
