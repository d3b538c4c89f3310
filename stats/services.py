"""Writes of the stats app: refreshing snapshots (run by the Celery tasks in tasks.py).

Other apps never call this app: it learns of their changes through the `ledger_changed`
signal, sent inside the transaction of the change; its receiver (receivers.py) calls
`schedule_district_refresh`, which records a debounced outbox job (houhu.outbox) in that
transaction: the relay runs it once the change is committed, broker or not. The hourly
and nightly refreshes run in Celery (beat, tasks.py).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from houhu.outbox.services import defer

from .compute import Part, compute_kinds
from .models import PeriodKind

KINDS = [PeriodKind.DAY, PeriodKind.MONTH, PeriodKind.YEAR]
# The current periods, and what the running month is compared with (the previous month up
# to the same point: see stats.compute.previous_month_window).
CURRENT_KINDS = [*KINDS, PeriodKind.MONTH_TO_DATE]
# Months the dashboard's trend shows: the nightly run re-checks them all, so that a page's
# one computation time (the oldest of its rows') is at most a day old.
TREND_MONTHS = 12


def _today() -> dt.date:
    return timezone.localdate()


def refresh_current(
    *, district_id: int | None = None, now: dt.datetime | None = None, part: Part | None = None
) -> int:
    """Today's, this month's and this year's snapshots and the previous month up to now
    (everything, one grid, or one part of a fanned-out refresh: see stats.fanout)."""
    today = timezone.localdate(now) if now else _today()
    runs = compute_kinds(
        kinds=CURRENT_KINDS, first=today, district_id=district_id, now=now, part=part
    )
    return sum(r.rows for r in runs)


def refresh_nightly(*, now: dt.datetime | None = None, part: Part | None = None) -> int:
    """Every day since the start of last month, and the months of the trend with their
    years: late events (a report confirmed after midnight, a hazard reopened) change
    closed periods too."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    first_month = today.replace(day=1)
    for _i in range(TREND_MONTHS):
        first_month = (first_month - dt.timedelta(days=1)).replace(day=1)
    days = compute_kinds(kinds=[PeriodKind.DAY], first=last_month, last=today, now=now, part=part)
    months = compute_kinds(
        kinds=[PeriodKind.MONTH, PeriodKind.YEAR, PeriodKind.MONTH_TO_DATE],
        first=first_month,
        last=today,
        now=now,
        part=part,
    )
    return sum(r.rows for r in (*days, *months))


def refresh_range(
    *, first: dt.date, last: dt.date, now: dt.datetime | None = None, part: Part | None = None
) -> int:
    """Every day, month and year between two dates: back-filling after a data load."""
    runs = compute_kinds(kinds=KINDS, first=first, last=last, now=now, part=part)
    return sum(r.rows for r in runs)


def refresh_job_key(district_id: int) -> str:
    return f"stats.refresh_district:{int(district_id)}"


def schedule_district_refresh(district_id: int) -> None:
    """Refresh one grid's current snapshots STATS_DEBOUNCE_SECONDS after this change.

    Call it inside the transaction of the change (a signal receiver or a service): the job
    is recorded with the change, so it is neither lost when the broker is down nor run for
    a change that was rolled back. A burst of changes of one grid folds into the pending
    job (one key per grid); a change committed while the refresh runs records the next one.
    """
    defer(
        "stats.refresh_district",
        payload={"district_id": int(district_id)},
        key=refresh_job_key(district_id),
        delay=int(settings.STATS_DEBOUNCE_SECONDS),
    )
