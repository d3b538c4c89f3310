"""How many reports one account may submit: the "reports" rate of the settings, counted
in the ledger itself.

A phone that lost the answer sends the same report again with the same client_id; that
creates nothing (services.report_submit answers with the first report) and so is never
counted nor refused, however often it comes. What is counted is reports actually stored
for the account within the window (an index scan on patrols_report_reporter), so the
limit holds across server processes and restarts and needs no cache.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle

from houhu.lib.throttling import rate_of, throttled, wait_text

from .models import Report


def _client_id(request) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(request.data.get("client_id")))
    except (AttributeError, TypeError, ValueError):
        return None


class ReportSubmitThrottle(BaseThrottle):
    scope = "reports"

    def allow_request(self, request, view) -> bool:
        if request.method != "POST" or not request.user.is_authenticated:
            return True
        client_id = _client_id(request)
        if client_id is not None and Report.objects.filter(client_id=client_id).exists():
            return True  # a replay: answered with the stored report, creates nothing
        limit, seconds = rate_of(self.scope)
        now = timezone.now()
        window = timedelta(seconds=seconds)
        recent = Report.objects.filter(reporter=request.user, received_at__gt=now - window)
        stored = recent.aggregate(n=Count("pk"), oldest=Min("received_at"))
        if stored["n"] < limit:
            return True
        wait = (stored["oldest"] + window - now).total_seconds()
        raise throttled(
            _(
                "This account has sent %(limit)d reports in %(period)s, the most it may. "
                "Nothing is lost: the phone keeps the report and sends it again; "
                "it will be accepted in %(wait)s."
            )
            % {"limit": limit, "period": wait_text(seconds), "wait": wait_text(wait)},
            wait,
        )
