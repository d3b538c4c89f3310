"""The one bound on dates and instants a client sends (report times, signing, visit and
assignment dates, filters): a value outside it is refused with a field message rather
than stored (a report "written" in 1900 was then served as an invalid date-time) or sent
on to PostgreSQL (year 1 or 9999 in local time overflows, a 500).

- Nothing is before LEDGER_START: the village compact was first signed in 2016, so no
  pledge, patrol or visit of this ledger can be older.
- What has happened (`past`) is at most CLOCK_SKEW ahead of the server: phones' clocks
  drift by minutes, not days. What is planned (the end of an assignment, a compact's
  effective date) may lie up to PLANNING_YEARS ahead.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

LEDGER_START = dt.date(2016, 1, 1)
CLOCK_SKEW = dt.timedelta(minutes=10)
TOO_FAR_AHEAD = _("This date is too far in the future.")
PLANNING_YEARS = 20


def _day(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


class InLedger:
    """A field validator, `InLedger()` for what has happened, `InLedger(planned=True)` for a
    date that may be ahead. It raises Django's ValidationError, so the same validator serves
    the API's serializers (DRF turns it into a field error) and the pages' forms; it is
    also callable on a plain value (query parameters)."""

    def __init__(self, *, planned: bool = False) -> None:
        self.planned = planned

    def __call__(self, value: dt.date | dt.datetime | None) -> None:
        if value is None:
            return
        # Years first: converting year 1 or 9999 to local time can itself overflow.
        if value.year < LEDGER_START.year or _day(value) < LEDGER_START:
            raise ValidationError(
                _("The ledger starts on %(start)s: give a later date."),
                code="before_ledger",
                params={"start": LEDGER_START.isoformat()},
            )
        if value.year > timezone.localdate().year + PLANNING_YEARS:
            raise ValidationError(TOO_FAR_AHEAD, code="too_far_ahead")
        if self.planned:
            return
        if isinstance(value, dt.datetime):
            ahead = value > timezone.now() + CLOCK_SKEW
        else:
            ahead = value > timezone.localdate()
        if ahead:
            raise ValidationError(_("This date is in the future."), code="in_future")

    def __eq__(self, other: object) -> bool:
        # Serializers compare validators when they are deep-copied per instance.
        return isinstance(other, InLedger) and other.planned == self.planned
