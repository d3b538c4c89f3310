"""Faults on the real processes of `make run` (tests/stack.py): Redis stopped during
submissions, a killed relay and a killed Celery worker restarted by supervisord, and a
PostgreSQL restart under posting clients. Each test stops only instances it started."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time
import uuid

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from PIL import Image

from houhu.accounts.scopes import told_of_new_reports
from houhu.outbox.models import Job
from patrols.models import Notification, Report, ReportPhoto
from pledges.models import Assignment
from stats import services as stats_services
from stats.models import Snapshot, SnapshotRun
from tests.factories import HouseholdFactory, villager_for
from tests.patrols.factories import build_grid, submit, tree_data
from tests.stack import (
    PrivatePostgres,
    PrivateRedis,
    Stack,
    celery_sender,
    collect_static,
    database_url,
    session_for,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = "/api/patrols/reports/"
# Numbers of a refresh that say whether it counted the same facts as another.
SNAPSHOT_NUMBERS = (
    "level", "scope_id", "period", "period_start", "households", "reports",
    "hazards_reported", "confirmed", "open_hazards", "households_signed",
)  # fmt: skip


@pytest.fixture(scope="module")
def collected():
    result = collect_static()
    assert result.returncode == 0, result.stderr[-3000:]


def _stack(redis: PrivateRedis, db_url: str | None = None, **env) -> Stack:
    return Stack(
        database_url=db_url or database_url(connection.settings_dict),
        broker_url=redis.url,
        secret_key=settings.SECRET_KEY,
        **{"HOUHU_MEDIA_ROOT": str(settings.MEDIA_ROOT), "STATS_DEBOUNCE_SECONDS": "1", **env},
    )


@pytest.fixture
def redis():
    instance = PrivateRedis().start()
    yield instance
    instance.remove()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "green").save(out, "JPEG")
    return out.getvalue()


def _submission(client_id: str) -> dict:
    return {"client_id": client_id, **tree_data()}


def _snapshot_numbers(district_id: int) -> list[tuple]:
    return sorted(Snapshot.objects.filter(district_id=district_id).values_list(*SNAPSHOT_NUMBERS))


def test_redis_down_during_submissions_loses_nothing_and_the_worker_lives_on(collected, redis):
    g = build_grid()
    villagers = [g.villager] + [
        villager_for(HouseholdFactory(transformer_area=g.ta, village=g.village)) for _ in range(2)
    ]
    stack = _stack(redis).start()
    try:
        # The worker holds a scheduled (ETA) message, unacknowledged, as a retry would:
        # Celery 5.7 exited for good when Redis went away in that state.
        sender = celery_sender(redis.url)
        sender.send_task(
            "grid.refresh_district_counts", countdown=600, queue="houhu", task_id="countdown-task"
        )
        sender.close()
        wait_until(
            lambda: "countdown-task" in (stack.logs / "worker.log").read_text(),
            timeout=60, what="the worker to hold the scheduled message",
        )  # fmt: skip
        worker_pid = stack.pid("worker")
        assert worker_pid

        redis.stop()
        status, health = stack.health()
        assert status == 503 and not health["broker"]["ok"] and health["database"]["ok"]
        clients = []
        for villager in villagers:
            client = stack.client()
            client.use_session(session_for(villager))
            clients.append(client)
        answers = []
        client_ids = []
        for i, client in enumerate(clients * 2):
            client_id = str(uuid.uuid4())
            client_ids.append(client_id)
            fields = {k: str(v) for k, v in _submission(client_id).items()}
            status, _h, body = client.post_multipart(
                REPORTS, fields, files=[("photos", f"p{i}.jpg", _jpeg(), "image/jpeg")]
            )
            answers.append((status, body[:200]))
        # The phone retries one of them (a cut connection, say): the same report comes back.
        status, _h, _b = clients[0].post_multipart(
            REPORTS, {k: str(v) for k, v in _submission(client_ids[0]).items()},
            files=[("photos", "p0.jpg", _jpeg(), "image/jpeg")],
        )  # fmt: skip
        assert status == 200
        staff = stack.client()
        staff.use_session(session_for(g.staff))
        first = Report.objects.get(client_id=client_ids[0])
        action = staff.post_json(f"{REPORTS}{first.pk}/actions/", {"action": "confirm"})
        manager = stack.client()
        manager.use_session(session_for(g.manager))
        derive = manager.post_form("/pledges/staff/front-doors/derive/", {"village": g.village.pk})

        assert [s for s, _ in answers] == [201] * len(client_ids), answers
        assert action[0] == 200, action[2][:300]
        assert derive[0] == 302
        assert Report.objects.filter(client_id__in=client_ids).count() == len(client_ids)
        # Notifications are rows of the same transactions: there already.
        # (each report tells its grid manager and the station's staff: scopes.told_of_new_reports)
        told = told_of_new_reports(first.district).exclude(pk=first.reporter_id).count()
        assert told >= 1
        assert Notification.objects.filter(verb="new_report").count() == len(client_ids) * told
        assert Notification.objects.filter(recipient=first.reporter).count() == 1
        # Thumbnails and the grid's statistics need no broker: the relay does them now.
        wait_until(
            lambda: not ReportPhoto.objects.filter(thumbnail="").exists(),
            timeout=60, what="thumbnails with Redis down",
        )  # fmt: skip
        wait_until(
            lambda: not Job.objects.filter(name="stats.refresh_district").exists(),
            timeout=60, what="the grid's refresh with Redis down",
        )  # fmt: skip
        district = Snapshot.objects.get(level="district", scope_id=g.district.pk, period="day")
        assert district.reports == len(client_ids)
        # The derivation is a Celery task: its publish waits in PostgreSQL for the broker.
        assert Job.objects.filter(name="outbox.send_task").count() == 1

        redis.start()
        started = time.monotonic()
        wait_until(
            lambda: not Job.objects.exists()
            and Assignment.objects.filter(scope="front_door").exists(),
            timeout=120, what="the derivation after Redis came back",
        )  # fmt: skip
        print(
            f"work waiting for the broker done {time.monotonic() - started:.1f} s after its return"
        )
        assert stack.pid("worker") == worker_pid  # survived, not restarted
        wait_until(lambda: stack.health()[0] == 200, timeout=60, what="health after Redis")
        # Exactly once: one report per client id, one notification per (event, person).
        assert Report.objects.count() == len(client_ids)
        assert ReportPhoto.objects.count() == len(client_ids)
    finally:
        stack.stop()


def _lock_pledges(dsn: dict) -> psycopg.Connection:
    """Hold a lock every refresh needs after its first write (it reads the household visits
    for its sources then), so a refresh is caught in the middle of its transaction."""
    blocker = psycopg.connect(**dsn)
    blocker.execute("BEGIN")
    blocker.execute("LOCK TABLE pledges_householdvisit IN ACCESS EXCLUSIVE MODE")
    return blocker


def _dsn() -> dict:
    db = connection.settings_dict
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER"),
        "password": db.get("PASSWORD") or None,
        "dbname": db["NAME"],
    }


def _wait_for_lock_waiter(watcher: psycopg.Connection) -> None:
    def waiting():
        return watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
            " AND wait_event_type = 'Lock' AND query ILIKE '%%pledges_householdvisit%%'",
            [connection.settings_dict["NAME"]],
        ).fetchone()[0]

    wait_until(waiting, timeout=90, what="a refresh blocked in the middle of its run")


def _kill_mid_refresh(stack: Stack, program: str, start_refresh) -> float:
    """Start a refresh, SIGKILL `program` while it runs, release the lock; returns how
    long supervisord took to have the program running again."""
    old_pid = stack.pid(program)
    blocker = _lock_pledges(_dsn())
    watcher = psycopg.connect(**_dsn(), autocommit=True)
    try:
        start_refresh()
        try:
            _wait_for_lock_waiter(watcher)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{stack.log_tail()}") from None
        os.kill(old_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        blocker.execute("ROLLBACK")
        new_pid = wait_until(
            lambda: (pid := stack.pid(program)) and pid != old_pid and pid,
            timeout=30, what=f"supervisord to restart {program}", every=0.05,
        )  # fmt: skip
        restarted = time.monotonic() - killed_at
        assert new_pid != old_pid
    finally:
        blocker.close()
        watcher.close()
    return restarted


def test_relay_killed_mid_refresh_is_restarted_and_the_numbers_match_an_undisturbed_run(
    collected, redis
):
    g = build_grid()

    for _ in range(3):
        submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    Job.objects.all().delete()
    stats_services.refresh_current(district_id=g.district.pk)
    undisturbed = _snapshot_numbers(g.district.pk)
    undisturbed_runs = SnapshotRun.objects.filter(status="done").count()
    assert undisturbed
    Snapshot.objects.all().delete()
    SnapshotRun.objects.all().delete()

    stack = _stack(redis, OUTBOX_CLAIM_GRACE_SECONDS="3", STATS_DEBOUNCE_SECONDS="0").start()
    try:
        restarted = _kill_mid_refresh(
            stack, "relay", lambda: stats_services.schedule_district_refresh(g.district.pk)
        )
        print(f"relay restarted {restarted:.2f} s after SIGKILL")
        assert restarted < 10
        wait_until(lambda: not Job.objects.exists(), timeout=90, what="the refresh redone")
        assert _snapshot_numbers(g.district.pk) == undisturbed
        # One refresh, as many runs as undisturbed: the killed one left none behind.
        assert SnapshotRun.objects.filter(status="done").count() == undisturbed_runs
    finally:
        stack.stop()


def test_celery_worker_killed_mid_task_is_restarted_and_its_task_runs_again(collected, redis):
    g = build_grid()

    for _ in range(2):
        submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    Job.objects.all().delete()
    stats_services.refresh_current()
    undisturbed = _snapshot_numbers(g.district.pk)
    Snapshot.objects.all().delete()
    SnapshotRun.objects.all().delete()

    # A visibility timeout of seconds (production: the task time limit plus a minute).
    stack = _stack(redis, CELERY_VISIBILITY_TIMEOUT="8").start()
    try:

        def refresh_all():
            sender = celery_sender(redis.url)
            sender.send_task("stats.refresh_all", kwargs={"scope": "current"}, queue="houhu")
            sender.close()

        # The default worker dispatches; the parts run on the stats worker (stats.fanout).
        restarted = _kill_mid_refresh(stack, "stats", refresh_all)
        print(f"worker restarted {restarted:.2f} s after SIGKILL")
        assert restarted < 15
        wait_until(
            lambda: SnapshotRun.objects.filter(status="done").exists(),
            timeout=120, what="the killed worker's task to run again",
        )  # fmt: skip
        assert _snapshot_numbers(g.district.pk) == undisturbed
    finally:
        stack.stop()


def test_postgres_restart_costs_no_submission_and_no_request_after_it_fails(collected, redis):
    g = build_grid()
    villagers = [g.villager] + [
        villager_for(HouseholdFactory(transformer_area=g.ta, village=g.village)) for _ in range(3)
    ]
    sessions = [session_for(v) for v in villagers]
    pg = PrivatePostgres().start()
    try:
        db_url = pg.copy_database(connection.settings_dict, "houhu_fault")
        # Four accounts post as fast as the server answers, more than the 60 reports an hour
        # (and 60 writes a minute) one villager may send: the limits are raised so that every
        # refusal counted here is the restart's, not the flood guard's (CI once saw 429s).
        stack = _stack(
            redis,
            db_url=db_url,
            HOUHU_THROTTLE_REPORTS="100000/hour",
            HOUHU_THROTTLE_WRITES="100000/minute",
        ).start()
    except Exception:
        pg.remove()
        raise
    results: list[tuple[str, int, float]] = []  # (client id, status, time sent)
    lock = threading.Lock()
    restart_done = threading.Event()
    stop = threading.Event()

    def post(session: str) -> None:
        client = stack.client()
        client.use_session(session)
        while not stop.is_set():
            client_id = str(uuid.uuid4())
            for _attempt in range(50):  # the phone's retry: same client id
                sent_at = time.monotonic()
                try:
                    status, _h, _b = client.post_json(REPORTS, _submission(client_id))
                except OSError:
                    status = 0
                with lock:
                    results.append((client_id, status, sent_at))
                if status in (200, 201):
                    break
                time.sleep(0.2)
        client.close()

    threads = [threading.Thread(target=post, args=(s,)) for s in sessions]
    try:
        for t in threads:
            t.start()
        wait_until(lambda: len(results) >= 20, timeout=120, what="submissions before")
        took = pg.restart()
        restart_done.set()
        restarted_at = time.monotonic()
        wait_until(
            lambda: sum(1 for r in results if r[2] > restarted_at) >= 40,
            timeout=120, what="submissions after the restart",
        )  # fmt: skip
        stop.set()
        for t in threads:
            t.join(timeout=60)
        # Every request sent once the restart was over succeeded (one in flight during it
        # may have got a 503, and was retried).
        after = [status for _cid, status, at in results if at > restarted_at]
        print(
            f"PostgreSQL restart {took:.2f} s; {len(results)} requests,"
            f" {sum(1 for r in results if r[1] >= 500)} 5xx (all before the restart ended)"
        )
        assert after and all(s in (200, 201) for s in after), [
            s for s in after if s not in (200, 201)
        ]
        assert not [r for r in results if r[1] == 500]  # refused with 503, never a 500
        wanted = {cid for cid, status, _at in results if status in (200, 201)}
        with psycopg.connect(db_url.replace("postgis://", "postgresql://")) as conn:
            stored = conn.execute(
                "SELECT client_id::text, count(*) FROM patrols_report GROUP BY 1"
            ).fetchall()
        assert {cid for cid, _n in stored} == wanted  # every acknowledged report stored
        assert all(n == 1 for _cid, n in stored)  # once
        status, body = stack.health()
        assert status == 200, json.dumps(body)
    finally:
        stop.set()
        stack.stop()
        pg.remove()
