"""The snapshot tasks through a REAL Celery worker process, the beat schedule kept in the
database, the debounced refresh of one grid, and a worker killed (SIGKILL) mid-run."""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import psycopg
import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from stats import fanout, services
from stats.compute import compute_snapshots
from stats.models import Level, Snapshot, SnapshotRun
from stats.tasks import refresh_all, refresh_part
from tests.conftest import ROOT, run_outbox
from tests.stats.factories import JAN, NOW, small_county

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_range_refresh_runs_in_a_real_worker(celery_worker):
    c = small_county()
    result = refresh_all.delay(scope="range", first="2026-01-01", last="2026-01-31")
    rows = fanout.wait(result, timeout=60)
    assert rows == Snapshot.objects.count() > 0
    d1 = Snapshot.objects.get(level="district", scope_id=c.d1.pk, period="month")
    assert (d1.reports, d1.confirmed, d1.verified) == (6, 2, 1)
    # Days with reports: 5, 6, 10, 12, 15 and 20 January.
    assert Snapshot.objects.filter(period="day", level="county").count() == 6
    # Day, month and year, of each station's part and the county's (stats.fanout).
    assert SnapshotRun.objects.filter(status="done").count() == 3 * len(fanout.parts()) > 3


def _beat_migration():
    return importlib.import_module("stats.migrations.0002_schedule_snapshots")


def test_beat_schedule_from_the_database_runs_the_hourly_refresh(celery_worker):
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from houhu.celery import app

    # A transactional test flushes migration data: put the schedule back as migrated.
    mig = _beat_migration()
    mig.schedule(django_apps, None)
    mig.schedule(django_apps, None)  # idempotent
    tasks = PeriodicTask.objects.filter(task="stats.refresh_all")
    assert tasks.count() == 2
    hourly = tasks.get(name=mig.HOURLY)
    assert (hourly.interval.every, hourly.interval.period) == (1, "hours")
    nightly = tasks.get(name=mig.NIGHTLY)
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("2", "15")

    c = small_county()
    scheduler = DatabaseScheduler(app=app, lazy=True)
    entry = scheduler.all_as_schedule()[mig.HOURLY]
    result = scheduler.apply_async(entry, advance=False)
    assert fanout.wait(result, timeout=60) > 0
    month = timezone.localdate().replace(day=1)
    row = Snapshot.objects.get(
        level="district", scope_id=c.d1.pk, period="month", period_start=month
    )
    assert row.reports == 0  # the fixture's reports are in January 2026
    assert row.households == 6


def test_a_burst_of_changes_schedules_one_district_refresh(settings):
    from houhu.outbox.models import Job

    settings.STATS_DEBOUNCE_SECONDS = 0
    c = small_county()
    for _ in range(3):
        services.schedule_district_refresh(c.d1.pk)
    assert Job.objects.filter(key=services.refresh_job_key(c.d1.pk)).count() == 1
    assert run_outbox() == 1
    runs = SnapshotRun.objects.filter(district=c.d1)
    # Day, month, year and the previous month to date, of one refresh, not three refreshes.
    assert runs.count() == 4
    assert not Snapshot.objects.filter(level="district", scope_id=c.d2.pk).exists()
    assert Snapshot.objects.filter(level="district", scope_id=c.d1.pk, period="year").exists()
    # Done and deleted: the next change schedules again.
    services.schedule_district_refresh(c.d1.pk)
    assert run_outbox() == 1


def test_a_district_refresh_waits_for_the_debounce_window(settings):
    settings.STATS_DEBOUNCE_SECONDS = 60
    c = small_county(with_reports=False)
    services.schedule_district_refresh(c.d2.pk)
    assert run_outbox() == 0  # not due yet
    assert not SnapshotRun.objects.exists()


def test_a_ledger_change_records_its_refresh_and_a_rollback_leaves_none(settings):
    from django.db import transaction

    from houhu.lib.signals import ledger_changed
    from houhu.outbox.models import Job

    c = small_county(with_reports=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger_changed.send(sender=None, district_ids=[c.d2.pk])
        assert Job.objects.filter(key=services.refresh_job_key(c.d2.pk)).count() == 1
        raise RuntimeError("rolled back")
    assert not Job.objects.exists()
    ledger_changed.send(sender=None, district_ids=[c.d2.pk, c.d2.pk, None])
    assert list(Job.objects.values_list("payload", flat=True)) == [{"district_id": c.d2.pk}]


def _db_dsn() -> dict:
    db = connection.settings_dict
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER"),
        "password": db.get("PASSWORD") or None,
        "dbname": db["NAME"],
    }


def test_worker_killed_mid_run_leaves_the_previous_complete_set(celery_worker):
    """A second, private worker is SIGKILLed while its run holds the DELETE uncommitted."""
    c = small_county()
    compute_snapshots(kind="month", first=JAN, now=NOW)
    before = sorted(Snapshot.objects.values_list("pk", "reports", "score"))
    # A new January report: the killed run will have written new rows, uncommitted.
    from tests.stats.factories import at, report

    report(
        reporter=c.reports["r1"].reporter, district=c.d1, transformer_area=c.tas[0],
        segment=c.segments[0], kind="nothing_found", status="recorded", received_at=at(25),
    )  # fmt: skip
    queue = f"test-kill-{uuid.uuid4().hex[:8]}"
    hostname = f"{queue}@{socket.gethostname()}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": "postgis://{u}@{h}:{p}/{n}".format(
            u=db.get("USER") or "", h=db.get("HOST") or "127.0.0.1",
            p=db.get("PORT") or 5432, n=db["NAME"],
        ),
        "DJANGO_SETTINGS_MODULE": "houhu.settings.test",
        "HOUHU_TEST_TASK_QUEUE": queue,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "houhu", "worker", "-P", "solo", "-Q", queue,
         "-n", hostname, "--without-gossip", "--without-mingle", "-l", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # Hold a lock the run needs right after its first write and not before (it reads the
    # household visits for its sources after the day rows; the stocks read the pledges
    # earlier), so the worker is caught mid-transaction with new rows written but not
    # committed.
    blocker = psycopg.connect(**_db_dsn())
    try:
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE pledges_householdvisit IN ACCESS EXCLUSIVE MODE")
        # The whole refresh as one task (what stats.fanout sends with STATS_FANOUT off).
        refresh_part.apply_async(
            kwargs={
                "scope": "range", "first": "2026-01-01", "last": "2026-01-31",
                "now": timezone.now().isoformat(), "levels": list(Level), "district_ids": None,
            },
            queue=queue,
        )  # fmt: skip
        watcher = psycopg.connect(**_db_dsn(), autocommit=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND wait_event_type = 'Lock' AND query ILIKE '%%pledges_householdvisit%%'",
                [db["NAME"]],
            ).fetchone()[0]
            if waiting:
                break
            watcher.execute("SELECT pg_sleep(0.05)")
        else:
            pytest.fail("the worker never reached the middle of its run")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        blocker.execute("ROLLBACK")
        # PostgreSQL notices the dead connection and rolls its transaction back.
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                " AND state LIKE 'idle in%%' AND query ILIKE '%%pledges_householdvisit%%'",
                [db["NAME"]],
            ).fetchone()[0]
        ):
            watcher.execute("SELECT pg_sleep(0.05)")
        watcher.close()
    finally:
        blocker.close()
        if proc.poll() is None:
            proc.kill()
    assert sorted(Snapshot.objects.values_list("pk", "reports", "score")) == before
    assert SnapshotRun.objects.filter(status="done").count() == 1  # only the first run
    assert Snapshot.objects.get(level="district", scope_id=c.d1.pk).reports == 6
