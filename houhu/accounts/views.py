"""Log-in, and each role's home page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse

# Each app may contribute a card to the villager's home page by shipping one of these
# templates; the home page shows those that exist, so apps stay independent.
VILLAGER_CARDS = ("patrols/villager_card.html", "pledges/villager_card.html")


def _first_url(*names: str) -> str:
    """The first of these named pages that exists: apps add their pages independently."""
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return reverse("grid:map")


def _existing_templates(names: tuple[str, ...]) -> list[str]:
    found = []
    for name in names:
        try:
            get_template(name)
        except TemplateDoesNotExist:
            continue
        found.append(name)
    return found


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_villager:
        return render(
            request,
            "accounts/villager_home.html",
            {"household": user.household, "cards": _existing_templates(VILLAGER_CARDS)},
        )
    if user.is_leader:
        return redirect(_first_url("stats:dashboard"))
    return redirect(_first_url("patrols:workspace"))
