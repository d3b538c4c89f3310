"""Shared fixtures: real PostGIS (pytest-django), a real Celery worker process on real
Redis, and Debian's Chromium driven by Playwright. Nothing here mocks a service: a missing
one fails the run loudly."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in
# a thread with a running loop unless told it is safe (it is: one test at a time).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "pass-houhu-2016"  # the factories' password


@pytest.fixture(scope="session", autouse=True)
def _require_postgis(django_db_setup, django_db_blocker):
    """Fail at once, with a clear message, if the database is not PostGIS."""
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cur:
        cur.execute("SELECT postgis_lib_version()")
        assert cur.fetchone()[0], "PostGIS is not installed in the test database"


@pytest.fixture(scope="session", autouse=True)
def _celery_sink_queue():
    """Tasks queued by tests that do not ask for a worker go to a queue nobody consumes.

    Transactional tests run their `on_commit` hooks, which queue tasks. Consumed by the
    session's worker, those tasks would run while pytest-django truncates the tables for
    the next test (a deadlock, or rows of one test leaking into the next). The test
    settings name this queue; it is emptied before and after the session.
    """
    from django.conf import settings

    from houhu.celery import app

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    _purge(app, queue)
    yield queue
    _purge(app, queue)


def _purge(app, queue: str) -> int:
    try:
        with app.connection_for_write() as conn:
            return conn.default_channel.queue_purge(queue) or 0
    except Exception as exc:
        pytest.fail(f"Redis broker {app.conf.broker_url} is not reachable: {exc}")


@dataclass(frozen=True)
class _Worker:
    proc: subprocess.Popen
    queue: str
    hostname: str


@pytest.fixture(scope="session")
def _celery_worker_process(django_db_setup, django_db_blocker):
    """Two real `celery worker` processes against the test database and the real broker,
    as deploy/supervisord.conf runs them: one on the default queue, one on the statistics'
    queue (STATS_QUEUE) under another hostname, so a test that waits on a refresh proves
    that its tasks reach a worker that consumes their queue.

    Each listens on a queue of its own, so a development worker on the same Redis never
    steals the tests' tasks. Tests reach them through the `celery_worker` fixture.
    """
    from django.conf import settings

    from houhu.celery import app

    db = settings.DATABASES["default"]
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    url = f"postgis://{user}{password}@{host}:{port}/{db['NAME']}"
    queue = f"test-{uuid.uuid4().hex[:10]}"
    stats_queue = f"{queue}-stats"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "houhu.settings.test",
        # Both workers send tasks too (a refresh's parts, a chord's end): same routes.
        "HOUHU_TEST_TASK_QUEUE": queue,
        "HOUHU_TEST_STATS_QUEUE": stats_queue,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "HOUHU_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    workers = []
    for q, name in ((queue, queue), (stats_queue, f"stats-{queue}")):
        _purge(app, q)
        hostname = f"{name}@{socket.gethostname()}"
        log = open(ROOT / "var" / f"celery-{q}.log", "w") if (ROOT / "var").is_dir() else None  # noqa: SIM115
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "houhu",
                "worker",
                "-P",
                "solo",
                "-Q",
                q,
                "-n",
                hostname,
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        workers.append(_Worker(proc, q, hostname))
    for w in workers:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if w.proc.poll() is not None:
                pytest.fail(
                    f"Celery worker exited with {w.proc.returncode} (see var/celery-{w.queue}.log)"
                )
            if app.control.ping(destination=[w.hostname], timeout=0.5):
                break
        else:
            for x in workers:
                x.proc.kill()
            pytest.fail("Celery worker did not answer a ping within 60 s")
    yield workers
    for w in workers:
        w.proc.terminate()
    for w in workers:
        try:
            w.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            w.proc.kill()
        _purge(app, w.queue)


@pytest.fixture
def celery_worker(_celery_worker_process, transactional_db):
    """Route this test's tasks to the real workers; before the tables are flushed, leave
    them idle. Needs `transactional_db` so the workers see the test's committed rows.
    Yields the default queue's worker process.
    """
    from django.conf import settings

    from houhu.celery import app

    default, stats = _celery_worker_process
    _route_tasks_to(app, default.queue, stats.queue)
    try:
        yield default.proc
    finally:
        _route_tasks_to(app, settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_TASK_DEFAULT_QUEUE)
        # The stats worker first: a refresh's last part may still send its chord's end.
        for w in (stats, default):
            _quiesce(app, w.proc, w.queue, w.hostname)


def _route_tasks_to(app, queue: str, stats_queue: str) -> None:
    from django.conf import settings

    # Under its Django name: Celery 5.6 reads a namespaced setting before the plain one.
    app.conf.CELERY_TASK_DEFAULT_QUEUE = queue
    # Read at each send by houhu.celery.route_task.
    settings.STATS_QUEUE = stats_queue
    # Celery 5.6 keeps the queue of a task's first message in the task's cached publishing
    # options (Task._exec_options); forget them so the next message follows the default.
    for task in app.tasks.values():
        task._exec_options = None


def _quiesce(app, proc, queue: str, hostname: str, timeout: float = 90) -> None:
    """Drop what the test left queued or scheduled (a debounced refresh 60 s ahead, say)
    and wait for the running task to finish, so nothing touches the next test's tables.

    A solo-pool worker answers control messages only between tasks, so silence means busy.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Celery worker exited with {proc.returncode} (see var/celery-{queue}.log)")
        _purge(app, queue)
        inspect = app.control.inspect(destination=[hostname], timeout=1)
        active = (inspect.active() or {}).get(hostname)
        scheduled = (inspect.scheduled() or {}).get(hostname)
        reserved = (inspect.reserved() or {}).get(hostname)
        revoked = (inspect.revoked() or {}).get(hostname)
        if None in (active, scheduled, reserved, revoked):
            continue  # running a task
        waiting = {e["request"]["id"] for e in scheduled} | {r["id"] for r in reserved}
        waiting -= set(revoked)
        if waiting:
            app.control.revoke(list(waiting), destination=[hostname])
            continue
        if not active:
            return
        time.sleep(0.2)
    pytest.fail(f"Celery worker still busy {timeout:.0f} s after the test (see its log)")


@pytest.fixture
def outbox_relay(transactional_db, settings):
    """The outbox relay (houhu.outbox.relay.run_forever) in a thread of the test process,
    for pages whose follow-up work must happen while the test waits (the live server's
    commits wake it through NOTIFY). Stopped, and its connection closed, before the flush.
    """
    import threading

    from django.db import connection

    from houhu.outbox import relay

    settings.OUTBOX_POLL_SECONDS = 0.5
    stop = threading.Event()

    def run():
        try:
            relay.run_forever(should_stop=stop.is_set)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="outbox-relay", daemon=True)
    thread.start()
    yield thread
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the outbox relay did not stop"


def run_outbox() -> int:
    """One pass of the relay in this thread: what a relay process would do next."""
    from houhu.outbox import relay

    return relay.run_due()


def chromium_path() -> str:
    path = os.environ.get("HOUHU_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            "Debian's chromium package is required for browser tests (`make test` installs it)"
        )
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chrome = pw.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chrome
        chrome.close()


@pytest.fixture
def page(browser):
    """A desktop-sized page (staff pages are map-first)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def phone_page(browser):
    """A phone-sized page, as a villager sees the app."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    pg = context.new_page()
    yield pg
    context.close()


def login(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    # The header also holds forms (log-out, language): submit the log-in form itself.
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture(autouse=True)
def _fresh_write_throttle():
    """The write throttle counts in Redis, which outlives a test (and a run): start each
    test with no writes counted, as the database starts with no rows."""
    from django.core.cache import caches

    caches["throttle"].clear()
    # Built tiles and their versions too: the test database's ids start over each run.
    caches["tiles"].clear()
