"""Celery tasks of the patrols app. The services no longer queue them (their work is an
outbox job now, see patrols.jobs); they stay for messages queued before that change."""

from __future__ import annotations

from celery import shared_task

from .notifications import deliver
from .photos import make_thumbnails as _make_thumbnails


@shared_task(name="patrols.make_thumbnails", bind=True, max_retries=3, default_retry_delay=30)
def make_thumbnails(self, photo_ids: list[int]) -> list[int]:
    """Thumbnails for the given photos; a photo that already has one is skipped."""
    try:
        return _make_thumbnails(photo_ids)
    except OSError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(name="patrols.notify")
def notify(event_id: int) -> list[int]:
    """In-app notifications (and e-mail jobs) for one report event; safe to run twice."""
    return deliver(event_id)
