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

from .compute import compute_kinds
from .models import PeriodKind

KINDS = [PeriodKind.DAY, PeriodKind.MONTH, PeriodKind.YEAR]


def _today() -> dt.date:
    return timezone.localdate()


def refresh_current(*, district_id: int | None = None, now: dt.datetime | None = None) -> int:
    """Today's, this month's and this year's snapshots (whole county or one grid)."""
    today = timezone.localdate(now) if now else _today()
    runs = compute_kinds(kinds=KINDS, first=today, district_id=district_id, now=now)
    return sum(r.rows for r in runs)


def refresh_nightly(*, now: dt.datetime | None = None) -> int:
    """Every day since the start of last month, last and this month, this year: late
    events (a report confirmed after midnight) change closed periods too."""
    today = timezone.localdate(now) if now else _today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return sum(r.rows for r in compute_kinds(kinds=KINDS, first=last_month, last=today, now=now))


def refresh_range(*, first: dt.date, last: dt.date, now: dt.datetime | None = None) -> int:
    """Every day, month and year between two dates: back-filling after a data load."""
    return sum(r.rows for r in compute_kinds(kinds=KINDS, first=first, last=last, now=now))


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
