"""Writes of the stats app: refreshing snapshots (run by the Celery tasks in tasks.py).

Other apps never call this app: it learns of their changes through the `ledger_changed`
signal (receivers.py), which schedules a debounced refresh (tasks.py).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

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
