"""Recording follow-up work and signs of life. See the package docstring for the design."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.utils import timezone

from . import registry
from .models import Job


def defer(name: str, *, payload: dict[str, Any] | None = None, key: str = "", delay: float = 0):
    """Record a job in the caller's transaction: it happens if and only if that commits.

    `key`: at most one pending job per key; a second `defer` with the key of a pending job
    is folded into it (one INSERT … ON CONFLICT DO NOTHING, no round trip to look first).
    `delay`: seconds before the job is due (a debounce window).
    """
    registry.get(name)  # refuse a typo now, in the request, not later in the relay
    now = timezone.now()
    Job.objects.bulk_create(
        [
            Job(
                name=name,
                key=key,
                payload=payload or {},
                created_at=now,
                run_after=now + dt.timedelta(seconds=delay),
            )
        ],
        ignore_conflicts=True,
    )


def send_task_later(task: str, *, args=(), kwargs=None, task_id: str | None = None) -> None:
    """Publish a Celery task once the caller's transaction has committed, even if the
    broker is down right now: the relay publishes it when the broker answers."""
    defer(
        "outbox.send_task",
        payload={"task": task, "args": list(args), "kwargs": kwargs or {}, "task_id": task_id},
    )


def heartbeat(name: str) -> None:
    """Record that the process `name` is alive now (one row per process, overwritten)."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO outbox_heartbeat (name, at) VALUES (%s, now()) "
            "ON CONFLICT (name) DO UPDATE SET at = excluded.at",
            [name],
        )
