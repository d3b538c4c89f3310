"""The outbox's rules on the real database: jobs fold by key while pending, a failed job is
retried later with its error kept, a running job is never taken twice, and the job of a
relay that died (no lock held) is taken over after the grace period."""

from __future__ import annotations

import datetime as dt
import threading

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from houhu.outbox import registry, relay
from houhu.outbox.models import Job
from houhu.outbox.services import defer

pytestmark = pytest.mark.django_db(transaction=True)

CALLS: list[dict] = []


@registry.handler("tests.record")
def _record(**payload):
    CALLS.append(payload)
    if payload.get("fail"):
        raise OSError("mail server away")


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def test_an_unknown_handler_is_refused_in_the_request():
    with pytest.raises(LookupError, match=r"tests\.nope"):
        defer("tests.nope")
    assert not Job.objects.exists()


def test_jobs_with_one_key_fold_while_pending_and_run_once():
    for n in range(3):
        defer("tests.record", payload={"n": n}, key="grid:1")
    defer("tests.record", payload={"n": 9}, key="grid:2")
    assert Job.objects.count() == 2
    assert relay.run_due() == 2
    assert CALLS == [{"n": 0}, {"n": 9}]
    assert not Job.objects.exists()


def test_a_change_while_its_job_runs_queues_the_next_one():
    defer("tests.record", payload={"n": 1}, key="grid:1")
    claimed = relay._claim()
    # Claimed (running): a new change of the same grid is not folded into it.
    defer("tests.record", payload={"n": 2}, key="grid:1")
    assert Job.objects.count() == 2
    assert relay._run(claimed)
    assert relay.run_due() == 1
    assert CALLS == [{"n": 1}, {"n": 2}]


def test_a_failed_job_keeps_its_error_and_waits_before_the_next_try(settings):
    defer("tests.record", payload={"fail": True})
    before = timezone.now()
    assert relay.run_due() == 0
    job = Job.objects.get()
    assert job.claimed_at is None and job.attempts == 1
    assert "mail server away" in job.last_error
    assert job.run_after >= before + dt.timedelta(seconds=settings.OUTBOX_RETRY_SECONDS - 1)
    assert relay.run_due() == 0  # not due yet: not tried again at once
    assert len(CALLS) == 1


def test_backoff_doubles_up_to_the_cap(settings):
    settings.OUTBOX_RETRY_SECONDS = 5
    settings.OUTBOX_MAX_RETRY_SECONDS = 60
    assert [relay._backoff(n) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]


def test_a_job_running_in_one_relay_is_not_taken_by_another(settings):
    settings.OUTBOX_CLAIM_GRACE_SECONDS = 0
    defer("tests.record", payload={"n": 1})
    claimed = relay._claim()
    started, release = threading.Event(), threading.Event()

    @registry.handler("tests.slow")
    def _slow(**payload):
        started.set()
        release.wait(30)

    Job.objects.filter(pk=claimed.id).update(name="tests.slow")
    claimed = relay.Claimed(claimed.id, "tests.slow", {}, claimed.claimed_at, 1)

    def run():
        try:
            relay._run(claimed)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    assert started.wait(30)
    # Past the grace period, but its row is locked by the running transaction: skipped.
    assert relay._claim() is None
    release.set()
    worker.join(30)
    assert not Job.objects.exists()


def test_the_job_of_a_relay_that_died_is_taken_over_after_the_grace(settings):
    settings.OUTBOX_CLAIM_GRACE_SECONDS = 30
    defer("tests.record", payload={"n": 7})
    db = connection.settings_dict
    dead = psycopg.connect(
        host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432,
        user=db.get("USER"), dbname=db["NAME"],
    )  # fmt: skip
    # A relay claims the job, starts running it, and its connection dies mid-run.
    # ... a minute ago: longer than the grace period.
    dead.execute(
        "UPDATE outbox_job SET claimed_at = clock_timestamp() - interval '1 minute', attempts = 1"
    )
    dead.commit()
    dead.execute("SELECT 1 FROM outbox_job FOR UPDATE")
    dead.close()  # PostgreSQL rolls back and drops the lock, as for a killed process
    assert Job.objects.get().claimed_at is not None
    assert relay.run_due() == 1
    assert CALLS == [{"n": 7}]
