"""Helpers every service of the pledges app shares (both halves)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from houhu.accounts.scopes import can_act_in_district
from houhu.grid.models import Household
from houhu.lib.signals import ledger_changed

from . import errors

if TYPE_CHECKING:
    from houhu.accounts.models import User


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    return timezone.localdate()


def full_clean(obj: Any, exclude: Sequence[str] = ()) -> None:
    """full_clean, turned into a domain error (constraints are checked by the database)."""
    try:
        obj.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as exc:
        raise errors.BadInput("; ".join(exc.messages)) from exc


def require_district(user: User, district_id: int) -> None:
    if not can_act_in_district(user, district_id):
        raise errors.NotAllowed()


def household_district_id(household: Household) -> int:
    return household.transformer_area.district_id


def ledger_changed_in(district_ids: Iterable[int], sender: type | None = None) -> None:
    """Announce, inside the transaction, which grids' figures this change may move; the
    statistics subscribe (houhu.lib.signals) and act after the commit."""
    ledger_changed.send(sender=sender, district_ids=sorted(set(district_ids)))
