"""The station map page. Its data comes from the layer API (/api/layers/...), which
scopes every feature to the user; this page only lays out the map and the controls."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from houhu.accounts.scopes import Can, can, districts_for


@login_required
def station_map(request: HttpRequest) -> HttpResponse:
    user = request.user
    # Villagers see their own grid on their home page; the station map is for those who
    # work on the grid (managers, staff) or read it (leaders).
    if not can(user, Can.STAFF_PAGES):
        return redirect("accounts:home")
    districts = districts_for(user).order_by("code").only("pk", "name", "code")
    selected = request.GET.get("district", "")
    selected_id = int(selected) if selected.isdigit() else None
    if selected_id is not None and not districts.filter(pk=selected_id).exists():
        selected_id = None
    return render(
        request,
        "grid/map.html",
        {"districts": districts, "selected_district": selected_id},
    )
