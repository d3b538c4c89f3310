"""Every change of state appends one entry to its station's chain, in the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import threading
import uuid

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from houhu.accounts.models import User
from houhu.ledger.actor import acting
from houhu.ledger.models import Entry
from patrols.models import ReportEvent, ReportSighting
from pledges import models as pm
from tests.factories import UserFactory
from tests.ledger.helpers import entries, verify
from tests.patrols.factories import ReportFactory, build_grid, submit, tree_data
from tests.pledges.factories import SegmentAssignmentFactory, World

pytestmark = pytest.mark.django_db


def test_report_submission_appends_an_entry_of_the_reports_station():
    g = build_grid()
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    entry = Entry.objects.get(object_kind="report", object_id=report.pk)
    assert entry.station_id == report.district.station_id
    assert entry.actor_id == g.villager.pk
    assert entry.action == "submit"
    assert entry.data["to_status"] == "submitted"
    assert entry.data["report_id"] == report.pk


def test_a_sighting_of_a_report_is_chained_with_the_report():
    g = build_grid()
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    ReportSighting.objects.create(
        report=report, by=g.staff, client_id=uuid.uuid4(), location=report.location
    )
    entry = Entry.objects.filter(object_kind="report", object_id=report.pk).last()
    assert (entry.action, entry.actor_id) == ("sighting", g.staff.pk)
    assert entry.station_id == g.district.station_id


def test_entry_hashes_are_sha256_of_the_canonical_content_and_the_previous_entry():
    g = build_grid()
    submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    chain = entries(g.district.station_id)
    assert len(chain) >= 2  # the accounts made for the grid, then the report
    zero = bytes(32)
    for before, entry in zip([None, *chain], chain, strict=False):
        prev = bytes(before.entry_hash) if before else zero
        assert bytes(entry.prev_hash) == prev
        # Recomputed outside PostgreSQL: the definition is plain enough to check by hand
        # (only `data` is printed by PostgreSQL, as jsonb text).
        with connection.cursor() as cursor:
            cursor.execute("SELECT data::text FROM ledger_entry WHERE id = %s", [entry.pk])
            data_text = cursor.fetchone()[0]
        at = entry.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        head = [entry.actor_id, at, f"{entry.object_kind}:{entry.object_id}", entry.action]
        text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ","
        text += data_text + "]"
        content = hashlib.sha256(text.encode()).digest()
        assert bytes(entry.content_hash) == content
        expected = hashlib.sha256(
            entry.station_id.to_bytes(8, "big") + entry.seq.to_bytes(8, "big") + prev + content
        ).digest()
        assert bytes(entry.entry_hash) == expected
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))


def test_pledge_assignment_visit_and_version_events_are_chained_in_their_station():
    w = World()
    start = Entry.objects.filter(station_id=w.station.pk).count()
    pledge = pm.Pledge.objects.create(
        household=w.h1, version=w.version, method="paper", signed_at=timezone.now(),
        signatory_name="张三", recorded_by=w.m1,
    )  # fmt: skip
    pm.PledgeEvent.objects.create(pledge=pledge, by=w.m1, from_status="", to_status="active")
    pm.PledgeEvent.objects.create(pledge=pledge, by=w.m1, from_status="active", to_status="renewed")
    pm.PledgeEvent.objects.create(
        pledge=pledge, by=w.m1, from_status="active", to_status="withdrawn"
    )
    assignment = SegmentAssignmentFactory(segment__district=w.d1)
    pm.AssignmentEvent.objects.create(assignment=assignment, by=w.staff, action="create")
    pm.HouseholdVisit.objects.create(
        household=w.h2, visited_on=dt.date(2026, 11, 2), visited_by=w.m1, outcome="explained"
    )
    pm.CompactVersionEvent.objects.create(version=w.version, by=w.staff, to_status="published")
    new = list(Entry.objects.filter(station_id=w.station.pk).order_by("seq"))[start:]
    assert [(e.object_kind, e.action) for e in new] == [
        ("pledge", "sign"),
        ("pledge", "renew"),
        ("pledge", "withdraw"),
        ("assignment", "create"),
        ("household", "visit"),
        ("compact_version", "published"),
    ]
    assert new[4].actor_id == w.m1.pk and new[4].object_id == w.h2.pk
    assert "ledger intact" in verify("--station", str(w.station.pk))


def test_a_role_change_is_chained_with_its_actor_and_a_password_change_is_not():
    w = World()
    admin = UserFactory(role=User.Role.ADMIN)
    user = UserFactory(role=User.Role.STAFF, station=w.station)
    created = Entry.objects.get(object_kind="account", object_id=user.pk)
    assert created.action == "create" and created.data["role"] == "staff"
    user.set_password("another-pass-2016")
    user.save()
    with transaction.atomic():
        acting(admin.pk)
        user.role = User.Role.GRID_MANAGER
        user.save()
    changes = Entry.objects.filter(object_kind="account", object_id=user.pk, action="change_role")
    assert [(e.actor_id, e.data["role"], e.data["before"]["role"]) for e in changes] == [
        (admin.pk, "grid_manager", "staff")
    ]
    assert changes[0].station_id == w.station.pk


def test_a_rolled_back_savepoint_leaves_no_gap_in_the_chain():
    # The appender remembers its last head for the transaction; a savepoint rolled back
    # must take that memory back with the entry.
    report = ReportFactory()
    station = report.district.station_id
    with transaction.atomic():
        ReportEvent.objects.create(report=report, actor=report.reporter, action="confirm",
                                   to_status="confirmed")  # fmt: skip
        with pytest.raises(RuntimeError), transaction.atomic():
            ReportEvent.objects.create(report=report, actor=report.reporter, action="reject",
                                       to_status="rejected")  # fmt: skip
            raise RuntimeError
        ReportEvent.objects.create(report=report, actor=report.reporter, action="verify",
                                   to_status="verified")  # fmt: skip
    chain = entries(station)
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert [e.action for e in chain[-2:]] == ["confirm", "verify"]
    assert "ledger intact" in verify("--station", str(station))


def test_entries_refuse_update_and_delete():
    g = build_grid()
    entry = Entry.objects.filter(station_id=g.district.station_id).first()
    for sql in ("UPDATE ledger_entry SET action = 'x' WHERE id = %s",
                "DELETE FROM ledger_entry WHERE id = %s"):  # fmt: skip
        with (
            pytest.raises(IntegrityError, match="immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])


def test_report_events_still_refuse_update():
    report = ReportFactory()
    event = ReportEvent.objects.create(
        report=report, actor=report.reporter, action="submit", to_status="submitted"
    )
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        ReportEvent.objects.filter(pk=event.pk).update(note="rewritten")


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_make_one_linear_chain():
    report = ReportFactory()
    station = report.district.station_id
    before = Entry.objects.filter(station_id=station).count()
    writers, each = 8, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            barrier.wait()
            for _ in range(each):
                with transaction.atomic():
                    ReportEvent.objects.create(
                        report=report, actor=report.reporter, action="submit", to_status="submitted"
                    )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    chain = entries(station)
    assert len(chain) == before + writers * each
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert all(bytes(b.prev_hash) == bytes(a.entry_hash) for a, b in itertools.pairwise(chain))
    assert "ledger intact" in verify("--station", str(station))
