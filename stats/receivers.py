"""How the statistics learn that the ledger changed: a subscription to
`houhu.lib.signals.ledger_changed` (connected in StatsConfig.ready), never a call from the
patrols or pledges services."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .tasks import schedule_district_refresh


def refresh_after_commit(sender, *, district_ids: Iterable[int], **kwargs) -> None:
    """Schedule the debounced refresh of each changed grid once the sender's transaction
    commits (nothing for a rollback). Robust: the ledger change is committed by then, and a
    Redis hiccup must not turn it into an error page; the hourly refresh catches up."""
    for district_id in sorted({int(d) for d in district_ids if d is not None}):
        transaction.on_commit(lambda d=district_id: schedule_district_refresh(d), robust=True)
