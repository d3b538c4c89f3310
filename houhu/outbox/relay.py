"""The relay: claims due jobs, runs each one in the transaction that deletes it.

`run_due()` is one pass (tests call it, as a worker step); `run_forever()` is the
supervised process (`manage.py outbox_relay`). It sleeps on PostgreSQL's LISTEN: a
statement trigger on the job table NOTIFYs at the commit of every transaction that
recorded a job (migration 0002), so work starts within milliseconds of the commit, and a
poll every `OUTBOX_POLL_SECONDS` catches delayed jobs, retries and missed notifications.
Nothing here needs the Celery broker: with Redis down, notifications, thumbnails, e-mail
and statistics still happen; only jobs that publish a Celery task wait for it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction

from . import registry
from .services import heartbeat

log = logging.getLogger(__name__)
CHANNEL = "houhu_outbox"  # the NOTIFY channel of migration 0002


@dataclass(frozen=True)
class Claimed:
    id: int
    name: str
    payload: dict[str, Any]
    claimed_at: dt.datetime
    attempts: int


def _claim() -> Claimed | None:
    """Take the next due job, or a claimed one whose relay died (its row is no longer
    locked by a running transaction and the claim is older than the grace period).

    Its own short transaction: once committed, the claim takes the job out of the pending
    key index, so a change made while it runs queues a fresh job instead of folding in.
    """
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            UPDATE outbox_job SET claimed_at = clock_timestamp(), attempts = attempts + 1
            WHERE id = (
                SELECT id FROM outbox_job
                WHERE (claimed_at IS NULL AND run_after <= clock_timestamp())
                   OR claimed_at < clock_timestamp() - make_interval(secs => %s)
                ORDER BY run_after, id
                LIMIT 1
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id, name, payload, claimed_at, attempts
            """,
            [settings.OUTBOX_CLAIM_GRACE_SECONDS],
        )
        row = cur.fetchone()
    if row is None:
        return None
    # Django has psycopg hand jsonb over as text (JSONField decodes it itself).
    payload = json.loads(row[2]) if isinstance(row[2], str | bytes) else row[2]
    return Claimed(id=row[0], name=row[1], payload=payload, claimed_at=row[3], attempts=row[4])


def _backoff(attempts: int) -> float:
    # Capped low on purpose: most failures are an outage (SMTP, the broker) and the work
    # should follow within a minute or two of the service coming back.
    delay = settings.OUTBOX_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return min(delay, settings.OUTBOX_MAX_RETRY_SECONDS)


def _run(job: Claimed) -> bool:
    """Run one claimed job; True when it is done (and deleted)."""
    try:
        with transaction.atomic(), connection.cursor() as cur:
            # Holding this lock for the whole run is what tells other relays that the job
            # is alive; if this process dies, PostgreSQL rolls back and drops the lock.
            cur.execute(
                "SELECT 1 FROM outbox_job WHERE id = %s AND claimed_at = %s FOR UPDATE SKIP LOCKED",
                [job.id, job.claimed_at],
            )
            if cur.fetchone() is None:
                return False  # taken over by another relay after a stall
            registry.get(job.name)(**job.payload)
            cur.execute("DELETE FROM outbox_job WHERE id = %s", [job.id])
        return True
    except Exception as exc:
        log.warning(
            "outbox job %s #%s failed (attempt %s)", job.name, job.id, job.attempts, exc_info=True
        )
        _release(job, exc)
        return False


def _release(job: Claimed, exc: BaseException) -> None:
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
    delay = _backoff(job.attempts)
    with transaction.atomic(), connection.cursor() as cur:
        try:
            with transaction.atomic():
                cur.execute(
                    "UPDATE outbox_job SET claimed_at = NULL, last_error = %s,"
                    " run_after = clock_timestamp() + make_interval(secs => %s)"
                    " WHERE id = %s AND claimed_at = %s",
                    [error, delay, job.id, job.claimed_at],
                )
        except IntegrityError:
            # A pending job with the same key came in meanwhile and will do the same work.
            cur.execute("DELETE FROM outbox_job WHERE id = %s", [job.id])


def run_due(limit: int = 1000) -> int:
    """Run jobs that are due, one at a time, until none is left (or `limit`); returns how
    many were done."""
    done = 0
    for _ in range(limit):
        job = _claim()
        if job is None:
            break
        done += _run(job)
    return done


def seconds_until_next() -> float | None:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT extract(epoch FROM min(run_after) - clock_timestamp()) FROM outbox_job"
            " WHERE claimed_at IS NULL"
        )
        (wait,) = cur.fetchone()
    return None if wait is None else max(float(wait), 0.0)


def _listen() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    listener = psycopg.connect(**params, autocommit=True)
    listener.execute(f"LISTEN {CHANNEL}")
    return listener


def run_forever(*, should_stop: Callable[[], bool] = lambda: False) -> None:
    """The relay process: run what is due, then sleep until a NOTIFY, the next delayed
    job or the poll interval. Survives a database restart (reconnects after a pause)."""
    name = f"relay@{socket.gethostname()}"
    poll = float(settings.OUTBOX_POLL_SECONDS)
    listener: psycopg.Connection | None = None
    while not should_stop():
        try:
            if listener is None or listener.closed:
                listener = _listen()
            close_old_connections()
            heartbeat(name)
            run_due()
            wait = seconds_until_next()
            wait = poll if wait is None else min(wait, poll)
            if wait > 0:
                # Any NOTIFY ends the wait; several in a burst are drained by the next pass.
                for _ in listener.notifies(timeout=wait, stop_after=1):
                    pass
        except Exception as exc:  # the relay must live on (a database restart, say)
            log.warning("outbox relay: %s; retrying in 2 s", exc)
            connection.close()
            if listener is not None:
                listener.close()
            listener = None
            time.sleep(2)
    if listener is not None:
        listener.close()
