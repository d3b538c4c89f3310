"""Celery tasks of the stats app. Scheduled by migration 0002 (django-celery-beat, editable
in the admin) and by `schedule_district_refresh` (debounced, one grid), which the
`ledger_changed` receiver calls after a commit (receivers.py)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from celery.result import AsyncResult
from django.conf import settings
from django.db import OperationalError, connection

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
    clear_debounce(district_id)
    return services.refresh_current(district_id=district_id)


# --- debounce: a burst of changes in one grid schedules one refresh ----------------------


def _redis():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def debounce_key(district_id: int) -> str:
    # The database name keeps concurrent test runs and sites on one Redis apart.
    db = connection.settings_dict["NAME"]
    return f"houhu:stats:{db}:refresh:district:{int(district_id)}"


def schedule_district_refresh(district_id: int) -> AsyncResult | None:
    """Refresh one grid's current snapshots a little later; a burst of changes schedules
    one refresh. Called after a commit (receivers.refresh_after_commit).

    Returns the queued task, or None when one is already pending. The Redis key
    (SET NX EX) lives as long as the countdown, so the first change of a burst queues the
    task and the rest of the burst is folded into it.
    """
    delay = int(settings.STATS_DEBOUNCE_SECONDS)
    if not _redis().set(debounce_key(district_id), "1", nx=True, ex=max(delay, 1)):
        return None
    return refresh_district.apply_async(args=[int(district_id)], countdown=delay)


def clear_debounce(district_id: int) -> None:
    _redis().delete(debounce_key(district_id))
