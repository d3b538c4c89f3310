"""Demo step: run by `manage.py load_demo` after the core, pledges and patrols data
(registered in StatsConfig.ready), so the dashboard opens with a year of figures.
Idempotent: re-running recomputes the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from patrols.models import ServiceTarget


def load_demo(*, stations: Sequence, seed: int) -> None:
    # The station's confirmation target (确认24小时内) as a row staff can edit; the
    # clearing targets are per hazard kind (settings.PATROLS_SLA_HOURS).
    ServiceTarget.objects.get_or_create(station=None, defaults={"confirm_within_hours": 24})
    from .services import refresh_current, refresh_range

    today = timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=365)).replace(day=1)
    refresh_range(first=first, last=today)
    # The month-to-date comparison the dashboard's running month is shown against.
    refresh_current()


def register() -> None:
    """Called by StatsConfig.ready: run this step after the core data (and the steps of the apps
    listed before this one in INSTALLED_APPS)."""
    from houhu.grid import demo as core

    core.register_step("stats.demo", load_demo)
