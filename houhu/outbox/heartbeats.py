"""Signs of life of the Celery worker and beat, read by the health view (`views.health`).

The worker writes from a timer in its own event loop (a bootstep), beat from its scheduler's
tick (`houhu.outbox.beat`): each reports what it itself does, so a dead beat does not
make the worker look dead.
"""

from __future__ import annotations

import logging

from celery import bootsteps

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 15.0


def record(name: str) -> None:
    from django.db import close_old_connections

    from .services import heartbeat

    try:
        close_old_connections()
        heartbeat(name)
    except Exception:  # a database outage must not stop the worker or beat
        log.warning("heartbeat of %s not recorded", name, exc_info=True)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Registered in houhu/celery.py: `worker@<hostname>` every INTERVAL_SECONDS."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        name = f"worker@{worker.hostname}"
        record(name)
        self.tref = worker.timer.call_repeatedly(INTERVAL_SECONDS, record, (name,), priority=10)

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
