"""The pledges app's Celery tasks, for Celery's autodiscovery (`<app>.tasks`); they are
defined next to their services."""

from __future__ import annotations

from .responsibility.tasks import derive_front_doors_task

__all__ = ["derive_front_doors_task"]
