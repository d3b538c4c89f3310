"""Log-in lock-out (django-axes), the rule of docs/security.md.

A failed log-in counts against the pair (account, address). After AXES_FAILURE_LIMIT
failures within AXES_COOLOFF_TIME that pair is refused until the cool-off has passed since
the last counted failure, or until a grid manager (for a villager of their grid) or staff
(for anyone of their station) unlocks the account from the villager accounts pages.
"""

from __future__ import annotations

from datetime import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from houhu.lib.throttling import wait_text

# AccessAttempt.username is 255 characters; longer input is not a real account anyway.
_KEY_MAX = 150


def login_key(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account a log-in attempt is for: villagers type their phone number, others a
    username, and both must count against the same account. Unknown names count as
    typed (trimmed), so guessing at accounts that do not exist is limited too."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        typed = credentials.get(field)
    else:
        data = getattr(request, "data", None) or request.POST
        typed = data.get(field)
    if not isinstance(typed, str):
        return None
    typed = typed.strip()[:_KEY_MAX]
    if not typed:
        return None
    user = (
        get_user_model()
        ._default_manager.filter(Q(username=typed) | Q(phone=typed))
        .only("username")
        .first()
    )
    return user.username if user is not None else typed


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the address the trusted proxies saw (settings.HOUHU_TRUSTED_PROXIES)."""
    proxies = settings.HOUHU_TRUSTED_PROXIES
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def lock_lifts_at(username: str, ip_address: str | None) -> datetime | None:
    """When the pair (account, address) may log in again; None if it is not locked."""
    cool_off = get_cool_off()
    attempts = AccessAttempt.objects.filter(username=username, ip_address=ip_address)
    row = attempts.aggregate(last=Max("attempt_time"), failures=Max("failures_since_start"))
    if row["last"] is None or row["failures"] < settings.AXES_FAILURE_LIMIT:
        return None
    lifts = row["last"] + cool_off
    return lifts if lifts > timezone.now() else None


def locked_usernames() -> set[str]:
    """Accounts locked out from at least one address right now."""
    since = timezone.now() - get_cool_off()
    return set(
        AccessAttempt.objects.filter(
            attempt_time__gt=since, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        ).values_list("username", flat=True)
    )


def unlock(username: str) -> int:
    """Forget the failed attempts of an account from every address. Permission is the
    caller's to check (houhu.accounts.scopes.can_unlock_login)."""
    if not username:
        raise ValueError("unlock() needs an account: an empty name would unlock everyone.")
    return AxesProxyHandler.reset_attempts(username=username)


def lockout_message(request: HttpRequest, credentials: dict | None) -> tuple[str, float]:
    username = login_key(request, credentials) or ""
    lifts = lock_lifts_at(username, client_ip(request)) or timezone.now() + get_cool_off()
    wait = max(1.0, (lifts - timezone.now()).total_seconds())
    local = timezone.localtime(lifts)
    message = _(
        "Too many wrong passwords for this account from this device. You can try again "
        "at %(time)s (in %(wait)s). A villager's grid manager, or station staff, can "
        "unlock the account sooner."
    ) % {"time": date_format(local, "H:i"), "wait": wait_text(wait)}
    return message, wait


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """429 with the time the lock-out ends: JSON for the API, a page for browsers."""
    message, wait = lockout_message(request, credentials)
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        # The API's one error shape (houhu.lib.errors), as the schema documents it.
        response = JsonResponse({"detail": message, "code": "locked_out"}, status=status)
    else:
        response = render(
            request, "registration/locked_out.html", {"message": message}, status=status
        )
    response["Retry-After"] = str(int(wait) + 1)
    return response
