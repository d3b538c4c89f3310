"""Background work of responsibility (the village-wide front-door derivation), and the
function that queues it (tasks import services, never the other way round)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _

from houhu.grid.models import Village
from houhu.outbox.services import send_task_later

from .. import errors
from . import services

if TYPE_CHECKING:
    from houhu.accounts.models import User


# Retried on a lost database connection only: every batch is an idempotent upsert, so a
# retry redoes at most one batch; a domain error (permission) is final.
@shared_task(
    bind=True,
    name="pledges.derive_front_doors",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
)
def derive_front_doors_task(
    self,
    *,
    village_id: int,
    by_id: int,
    max_distance_m: float | None = None,
    batch_size: int = 500,
) -> dict[str, int]:
    """Propose front doors for a whole village, in batches so the page can show progress.

    Idempotent: each batch is an upsert on the one-open-front-door-per-household index, so
    a retried or repeated run proposes nothing twice and never touches confirmed doors.
    """
    village = Village.objects.get(pk=village_id)
    by = get_user_model().objects.get(pk=by_id)
    ids = services.front_door_household_ids(village=village, by=by)
    total = len(ids)
    counts = services.DeriveCounts()
    self.update_state(state="PROGRESS", meta={"done": 0, "total": total})
    for start in range(0, total, batch_size):
        batch = ids[start : start + batch_size]
        counts.add(
            services.derive_front_doors(
                village=village, by=by, max_distance_m=max_distance_m, household_ids=batch
            )
        )
        done = min(start + batch_size, total)
        self.update_state(state="PROGRESS", meta={"done": done, "total": total, **counts.as_dict()})
    return {"done": total, "total": total, **counts.as_dict()}


def derive_front_doors_later(
    *, village: Village, by: User, max_distance_m: float | None = None
) -> str:
    """Record the village-wide derivation in the current transaction (the outbox relay
    publishes it once that commits); returns the task id for the progress endpoint.
    Permission is checked now, not in the worker."""
    if not services.front_door_household_ids(village=village, by=by):
        raise errors.NotAllowed(_("You may not assign front doors in this village."))
    task_id = str(uuid.uuid4())
    # Published by the outbox relay after the commit, even if the broker is down now.
    send_task_later(
        derive_front_doors_task.name,
        kwargs={"village_id": village.pk, "by_id": by.pk, "max_distance_m": max_distance_m},
        task_id=task_id,
    )
    return task_id
