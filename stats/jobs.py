"""Outbox job handlers of the stats app (houhu.outbox)."""

from __future__ import annotations

from houhu.outbox.registry import handler

from . import services


@handler("stats.refresh_district")
def refresh_district(*, district_id: int) -> None:
    """The debounced refresh of one grid (its transformer areas and itself); the station
    and county rows follow at the next hourly run. Idempotent (an upsert per scope and
    period), and it runs in the transaction that deletes its job: exactly once."""
    services.refresh_current(district_id=district_id)
