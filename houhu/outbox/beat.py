"""Beat's scheduler: django-celery-beat's, plus beat's heartbeat (CELERY_BEAT_SCHEDULER).

A module of its own: django-celery-beat's scheduler imports models, so it can only be
imported once Django is set up (beat does that), not from houhu/celery.py.
"""

from __future__ import annotations

import time

from django_celery_beat.schedulers import DatabaseScheduler

from .heartbeats import INTERVAL_SECONDS, record


class HeartbeatScheduler(DatabaseScheduler):
    """django-celery-beat's scheduler, recording `beat` at most every INTERVAL_SECONDS."""

    _last_beat = 0.0

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_beat >= INTERVAL_SECONDS:
            self._last_beat = now
            record("beat")
        interval = super().tick(*args, **kwargs)
        return min(interval, INTERVAL_SECONDS)
