"""How the statistics learn that the ledger changed: a subscription to
`houhu.lib.signals.ledger_changed` (connected in StatsConfig.ready), never a call from the
patrols or pledges services."""

from __future__ import annotations

from collections.abc import Iterable

from .services import schedule_district_refresh


def refresh_after_commit(sender, *, district_ids: Iterable[int], **kwargs) -> None:
    """Record the debounced refresh of each changed grid in the sender's transaction (the
    signal is sent inside it): an outbox job that commits with the change, runs after it
    even while the broker is down, and vanishes with a rollback."""
    for district_id in sorted({int(d) for d in district_ids if d is not None}):
        schedule_district_refresh(district_id)
