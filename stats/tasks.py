"""Celery tasks of the stats app. Scheduled by migration 0002 (django-celery-beat, editable
in the admin). One grid's debounced refresh is an outbox job now (stats.jobs)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(
    name="stats.refresh_all",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def refresh_all(scope: str = "current", first: str | None = None, last: str | None = None) -> int:
    """scope "current" (hourly), "nightly", or "range" with ISO dates first/last."""
    if scope == "nightly":
        return services.refresh_nightly()
    if scope == "range":
        if not first or not last:
            raise ValueError("scope=range needs first and last (ISO dates)")
        return services.refresh_range(
            first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last)
        )
    return services.refresh_current()


@shared_task(
    name="stats.refresh_district",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def refresh_district(district_id: int) -> int:
    """One grid's current snapshots (kept for messages queued before stats.jobs)."""
    return services.refresh_current(district_id=district_id)
