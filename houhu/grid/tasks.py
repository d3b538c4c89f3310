"""Background work of the core geography. Scheduled by migration 0003 (hourly, beat)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(
    name="grid.refresh_district_counts",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def refresh_district_counts(station_id: int | None = None) -> int:
    """Upsert per-grid counts (households, aquaculture, transformer areas, segments, line
    length in metres) read by the grid layer and /api/districts/. Idempotent."""
    return services.refresh_district_counts(station_id=station_id)
