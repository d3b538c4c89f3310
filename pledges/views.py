"""The pledges pages that show both halves of the app: the staff overview (pledges and
responsibility coverage) and a household's printable card (its pledge and front door)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .compact import selectors as compact_selectors
from .responsibility import selectors
from .responsibility.models import Assignment
from .responsibility.views import rate_row
from .web import (
    staff_context,
    staff_required,
)


@staff_required
@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    rows = selectors.coverage(level="district", user=request.user)
    return render(
        request,
        "pledges/staff_home.html",
        staff_context(request, summary=[rate_row(r) for r in rows], figures_at=timezone.now()),
    )


@login_required
@require_GET
def pledge_card(request: HttpRequest, pk: int) -> HttpResponse:
    """Printable card: staff for any household of their grids, a villager for their own."""
    user = request.user
    household = get_object_or_404(
        compact_selectors.households_for(user).select_related("village", "transformer_area"),
        pk=pk,
    )
    status = compact_selectors.household_pledge_status(household=household, user=user)
    version = status["version"]
    district = household.transformer_area.district
    front_door = (
        Assignment.objects.filter(
            scope=Assignment.Scope.FRONT_DOOR,
            household=household,
            cancelled_at__isnull=True,
            valid_until__isnull=True,
        )
        .select_related("segment")
        .first()
    )
    return render(
        request,
        "pledges/pledge_card.html",
        {
            "household": household,
            "version": version,
            "clauses": version.clauses.order_by("number") if version else [],
            "pledge": status["active_pledge"],
            "front_door": front_door.segment.code if front_door else None,
            "manager_name": district.manager or "",
            "manager_phone": district.manager_phone,
            "paper": "a4" if request.GET.get("paper") == "a4" else "a5",
        },
    )
