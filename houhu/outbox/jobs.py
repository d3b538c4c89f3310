"""The outbox's own handler: publishing a Celery task recorded with `send_task_later`."""

from __future__ import annotations

from typing import Any

from .registry import handler


@handler("outbox.send_task")
def send_task(*, task: str, args: list, kwargs: dict[str, Any], task_id: str | None) -> None:
    from houhu.celery import app

    # No retry inside the publish: a broker still down fails the job now, and the relay
    # tries again shortly (the job stays in PostgreSQL meanwhile). A publish followed by a
    # relay crash before the commit publishes twice: the tasks sent this way are idempotent.
    app.send_task(task, args=args, kwargs=kwargs, task_id=task_id, retry=False)
