"""Writes of the stats app: refreshing snapshots and scheduling debounced refreshes.

Other apps call `schedule_district_refresh(district_id)` after a report or pledge changes
(from their services, inside `transaction.on_commit`); everything else runs in Celery.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .compute import compute_kinds
from .models import PeriodKind

KINDS = [PeriodKind.DAY, PeriodKind.MONTH, PeriodKind.YEAR]
# The current periods, and what the running month is compared with (the previous month up
# to the same point: see stats.compute.previous_month_window).
CURRENT_KINDS = [*KINDS, PeriodKind.MONTH_TO_DATE]
# Months the dashboard's trend shows: the nightly run re-checks them all, so that a page's
# one computation time (the oldest of its rows') is at most a day old.
TREND_MONTHS = 12

if TYPE_CHECKING:
    from celery.result import AsyncResult


def _today() -> dt.date:
    return timezone.localdate()


def refresh_current(*, district_id: int | None = None, now: dt.datetime | None = None) -> int:
    """Today's, this month's and this year's snapshots and the previous month up to now
    (whole county or one grid)."""
    today = timezone.localdate(now) if now else _today()
    runs = compute_kinds(kinds=CURRENT_KINDS, first=today, district_id=district_id, now=now)
    return sum(r.rows for r in runs)


def refresh_nightly(*, now: dt.datetime | None = None) -> int:
    """Every day since the start of last month, and the months of the trend with their
    years: late events (a report confirmed after midnight, a hazard reopened) change
    closed periods too."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    first_month = today.replace(day=1)
    for _i in range(TREND_MONTHS):
        first_month = (first_month - dt.timedelta(days=1)).replace(day=1)
    days = compute_kinds(kinds=[PeriodKind.DAY], first=last_month, last=today, now=now)
    months = compute_kinds(
        kinds=[PeriodKind.MONTH, PeriodKind.YEAR, PeriodKind.MONTH_TO_DATE],
        first=first_month,
        last=today,
        now=now,
    )
    return sum(r.rows for r in (*days, *months))


def refresh_range(*, first: dt.date, last: dt.date, now: dt.datetime | None = None) -> int:
    """Every day, month and year between two dates: back-filling after a data load."""
    return sum(r.rows for r in compute_kinds(kinds=KINDS, first=first, last=last, now=now))


def _redis():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def debounce_key(district_id: int) -> str:
    # The database name keeps concurrent test runs and sites on one Redis apart.
    db = connection.settings_dict["NAME"]
    return f"houhu:stats:{db}:refresh:district:{int(district_id)}"


def schedule_district_refresh(district_id: int) -> AsyncResult | None:
    """Refresh one grid's current snapshots a little later; a burst of changes schedules
    one refresh. Call it from `transaction.on_commit` (the patrols and pledges services do).

    Returns the queued task, or None when one is already pending. The Redis key
    (SET NX EX) lives as long as the countdown, so the first change of a burst queues the
    task and the rest of the burst is folded into it.
    """
    from .tasks import refresh_district

    delay = int(settings.STATS_DEBOUNCE_SECONDS)
    if not _redis().set(debounce_key(district_id), "1", nx=True, ex=max(delay, 1)):
        return None
    return refresh_district.apply_async(args=[int(district_id)], countdown=delay)


def clear_debounce(district_id: int) -> None:
    _redis().delete(debounce_key(district_id))


def schedule_district_refresh_on_commit(district_id: int) -> None:
    """The same, deferred until the caller's transaction commits (nothing for a rollback)."""
    transaction.on_commit(lambda: schedule_district_refresh(district_id))
