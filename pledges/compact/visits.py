"""Household visits: a grid manager's (or staff member's) visit to a household of their
grid, about the compact (to explain it, to renew a pledge, or nobody at home)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from houhu.accounts import scopes
from houhu.accounts.scopes import Can
from houhu.grid.models import Household

from .. import errors
from ..common import (
    full_clean,
    household_district_id,
    ledger_changed_in,
    require_district,
    today,
)
from .models import HouseholdVisit

if TYPE_CHECKING:
    from houhu.accounts.models import User


# A visit written down weeks later is still a visit; one dated a year back is a typo.
VISIT_MAX_AGE_DAYS = 92


def visit_record(
    *,
    household: Household,
    by: User,
    outcome: str,
    visited_on: dt.date | None = None,
    note: str = "",
) -> HouseholdVisit:
    """Record a grid manager's or staff member's visit to a household of their grid."""
    if not scopes.can(by, Can.RECORD_VISITS):
        raise errors.NotAllowed(_("Only grid managers and station staff record visits."))
    require_district(by, household_district_id(household))
    if not household.is_active:
        raise errors.BadInput(_("This household is no longer active."))
    visited_on = visited_on or today()
    if visited_on > today():
        raise errors.BadInput(_("A visit cannot be dated in the future."))
    if visited_on < today() - dt.timedelta(days=VISIT_MAX_AGE_DAYS):
        raise errors.BadInput(
            _("A visit more than %(days)s days ago cannot be recorded."),
            days=VISIT_MAX_AGE_DAYS,
        )
    if outcome not in HouseholdVisit.Outcome.values:
        raise errors.BadInput(_("Choose what came of the visit."))
    visit = HouseholdVisit(
        household=household, visited_by=by, visited_on=visited_on, outcome=outcome,
        note=note.strip(),
    )  # fmt: skip
    full_clean(visit, exclude=["household", "visited_by"])
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError as exc:
        raise errors.AlreadyVisited() from exc
    ledger_changed_in([household_district_id(household)], HouseholdVisit)
    return visit
