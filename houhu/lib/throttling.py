"""Per-user limits on API writes, answering 429 with a translated message and Retry-After.

The rates are settings (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]); docs/security.md says
why each is what it is. Report submissions have their own rule in `patrols.throttles`.
"""

from __future__ import annotations

import logging
import math

from django.core.cache import caches
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from redis.exceptions import RedisError
from rest_framework.exceptions import Throttled
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

log = logging.getLogger(__name__)

_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_of(scope: str) -> tuple[int, int]:
    """(requests, seconds) of a scope in settings, e.g. "60/hour" -> (60, 3600)."""
    count, period = api_settings.DEFAULT_THROTTLE_RATES[scope].split("/")
    return int(count), _PERIOD_SECONDS[period[0]]


def wait_text(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    if seconds < 120:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def throttled(message: str, wait: float) -> Throttled:
    """A 429 whose detail is our own sentence; DRF adds Retry-After from `wait`."""
    exc = Throttled(detail=message)
    exc.wait = max(1, math.ceil(wait))
    return exc


class UserWriteThrottle(SimpleRateThrottle):
    """At most the "writes" rate of POST/PUT/PATCH/DELETE per signed-in user; reads pass.

    Counted in the "throttle" cache (Redis), shared by every server process. If Redis is
    unreachable the write goes through: the limit guards against floods, and refusing all
    writes while the broker is down would be worse than a flood.
    """

    scope = "writes"

    @property
    def cache(self):
        return caches["throttle"]

    def get_rate(self) -> str:
        # Read when used, not when DRF's class was imported: settings stay the one source.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}

    def allow_request(self, request, view) -> bool:
        try:
            allowed = super().allow_request(request, view)
        except RedisError as exc:
            log.warning("Write throttle skipped, its cache is unreachable: %s", exc)
            return True
        if allowed:
            return True
        wait = self.wait() or self.duration
        raise throttled(
            _(
                "Too many changes in a short time (at most %(limit)d in %(period)s). "
                "Nothing was changed; try again in %(wait)s."
            )
            % {
                "limit": self.num_requests,
                "period": wait_text(self.duration),
                "wait": wait_text(wait),
            },
            wait,
        )
