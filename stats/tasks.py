"""Celery tasks of the stats app. Scheduled by migration 0002 (django-celery-beat, editable
in the admin). One grid's debounced refresh is an outbox job now (stats.jobs).

Every task here runs on the stats queue (settings.STATS_QUEUE, houhu.celery.route_task),
consumed by workers of its own (deploy/supervisord.conf: `stats@%h`), so a county's
back-fill never delays a notification and more stats workers shorten a refresh."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError

from . import fanout, services
from .compute import Part


def _refresh(scope: str, first: str | None, last: str | None, **kw) -> int:
    if scope == "nightly":
        return services.refresh_nightly(**kw)
    if scope == "range":
        if not first or not last:
            raise ValueError("scope=range needs first and last (ISO dates)")
        return services.refresh_range(
            first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last), **kw
        )
    return services.refresh_current(**kw)


@shared_task(name="stats.refresh_all")
def refresh_all(
    scope: str = "current",
    first: str | None = None,
    last: str | None = None,
    now: str | None = None,
) -> str:
    """scope "current" (hourly), "nightly", or "range" with ISO dates first/last: fanned out
    as one task per station and county (stats.fanout). Returns the id of the chord's last
    task, whose result is the number of rows written (stats.fanout.wait)."""
    when = dt.datetime.fromisoformat(now) if now else None
    if scope == "range" and (not first or not last):
        raise ValueError("scope=range needs first and last (ISO dates)")
    return fanout.refresh_chord(scope, first, last, when).apply_async().id


@shared_task(
    name="stats.refresh_part",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def refresh_part(
    *,
    scope: str,
    first: str | None,
    last: str | None,
    now: str,
    levels: list[str],
    district_ids: list[int] | None,
    station_ids: list[int] | None = None,
    county_ids: list[int] | None = None,
) -> int:
    """One part of a fanned-out refresh (its own transaction): the rows it produced."""
    part = Part(
        tuple(levels),
        None if district_ids is None else tuple(district_ids),
        station_ids=tuple(station_ids or ()),
        county_ids=tuple(county_ids or ()),
    )
    return _refresh(scope, first, last, now=dt.datetime.fromisoformat(now), part=part)


@shared_task(name="stats.refresh_done")
def refresh_done(rows: list[int]) -> int:
    """The chord's end: every part is done; the rows they produced together."""
    return sum(rows)


@shared_task(
    name="stats.refresh_district",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def refresh_district(district_id: int) -> int:
    """One grid's current snapshots (kept for messages queued before stats.jobs)."""
    return services.refresh_current(district_id=district_id)
