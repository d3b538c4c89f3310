"""The Celery application: reads CELERY_* from Django settings, finds tasks in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "houhu.settings.dev")

app = Celery("houhu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def route_task(name, args, kwargs, options, task=None, **kw):
    """CELERY_TASK_ROUTES: the statistics' tasks on their own queue, read from the
    settings at each send (the tests point it at their stats worker's queue)."""
    if name.startswith("stats."):
        from django.conf import settings

        return {"queue": settings.STATS_QUEUE}
    return None


def _add_worker_heartbeat() -> None:
    # Imported lazily by name: the step's module needs Django's apps only when it runs.
    from houhu.outbox.heartbeats import WorkerHeartbeat

    app.steps["worker"].add(WorkerHeartbeat)


_add_worker_heartbeat()
