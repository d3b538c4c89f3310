"""Answer 503 (with Retry-After) instead of 500 while PostgreSQL is unreachable.

During a database restart a request fails however it is written; what matters is that the
client hears "try again" (the villager's phone keeps the report and retries with the same
client id, patrols/static/patrols/outbox.js) and that monitoring does not count a bug.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.warning("database unavailable: %s %s: %s", request.method, request.path, exception)
        response = HttpResponse(
            _("The service is briefly unavailable; try again in a few seconds.") + "\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
