"""How many reports one account may submit: the "reports" rate of the settings, counted
in the ledger itself.

A phone that lost the answer sends the same report again with the same client_id; that
creates nothing (services.report_submit answers with the first report) and so is never
counted nor refused, however often it comes. What is counted is reports actually stored
for the account within the window, so the limit holds across server processes and
restarts and needs no cache. The count comes with the submission's one look-up
(snapping.intake), and the rule is the service's, so the API and the page without
JavaScript keep the same limit.
"""

from __future__ import annotations

import datetime as dt
import math

from django.utils.translation import gettext_lazy as _

from houhu.lib.errors import DomainError
from houhu.lib.throttling import rate_of, wait_text

SCOPE = "reports"


class TooManyReports(DomainError):
    """429 with Retry-After (the one exception handler adds the header)."""

    http_status = 429
    code = "throttled"
    default_message = _(
        "This account has sent %(limit)d reports in %(period)s, the most it may. "
        "Nothing is lost: the phone keeps the report and sends it again; "
        "it will be accepted in %(wait)s."
    )

    def __init__(self, *, limit: int, seconds: int, wait: float) -> None:
        self.retry_after = max(1, math.ceil(wait))
        super().__init__(limit=limit, period=wait_text(seconds), wait=wait_text(wait))


def _rule() -> tuple[int, dt.timedelta]:
    """(reports allowed, the window they are counted in), from settings when used."""
    limit, seconds = rate_of(SCOPE)
    return limit, dt.timedelta(seconds=seconds)


def window_start(now: dt.datetime) -> dt.datetime:
    """Reports received after this count against the account's limit."""
    return now - _rule()[1]


def check(*, count: int, oldest: dt.datetime | None, now: dt.datetime) -> None:
    """Refuse a new report when the account stored `limit` within the window."""
    limit, span = _rule()
    if count < limit:
        return
    wait = ((oldest or now) + span - now).total_seconds()
    raise TooManyReports(limit=limit, seconds=int(span.total_seconds()), wait=wait)
