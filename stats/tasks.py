"""Celery tasks of the stats app. Scheduled by migration 0002 (django-celery-beat, editable
in the admin) and by `services.schedule_district_refresh` (debounced, one grid)."""

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
    """The debounced refresh of one grid (its transformer areas and itself); the station
    and county rows follow at the next hourly run."""
    # Let the next change of this grid schedule a new refresh: changes made while this
    # one runs are then not lost.
    services.clear_debounce(district_id)
    return services.refresh_current(district_id=district_id)
