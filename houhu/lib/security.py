"""Browser policies sent with every answer (the CSP itself comes from django-csp)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def permissions_policy(policy: dict[str, list[str]]) -> str:
    """{"geolocation": ["self"], "camera": []} -> 'geolocation=(self), camera=()'."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header of settings.HOUHU_PERMISSIONS_POLICY (Django's
    SecurityMiddleware sends Referrer-Policy, django-csp the Content-Security-Policy)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = permissions_policy(settings.HOUHU_PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response
