"""The station map page. Its data comes from the layer API (/api/layers/...), which
scopes every feature to the user; this page only lays out the map and the controls."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from houhu.accounts.scopes import districts_for

# The map script's words, rendered by Django as a JSON block so they follow the language.
MAP_LABELS = {
    "districts": _("Service grids"),
    "transformer-areas": _("Transformer areas"),
    "lines": _("10 kV lines"),
    "segments": _("Line segments"),
    "households": _("Households"),
    "legend": _("Legend"),
    "manager": _("Grid manager"),
    "phone": _("Posted phone"),
    "householdCount": _("Households"),
    "transformerAreaCount": _("Transformer areas"),
    "line": _("Line"),
    "seq": _("Order along the line"),
    "length": _("Length"),
    "metres": pgettext_lazy("unit", "m"),
    "customerNumber": _("Customer number"),
    "headName": _("Head of household"),
    "aquaculture": _("Large aquaculture household"),
    "zoomIn": _("zoom in to see"),
    "loading": _("Loading…"),
    "failed": _("could not load"),
}


def map_labels() -> dict[str, str]:
    return {key: str(value) for key, value in MAP_LABELS.items()}


@login_required
def station_map(request: HttpRequest) -> HttpResponse:
    user = request.user
    # Villagers see their own grid on their home page; the station map is for those who
    # work on the grid (managers, staff) or read it (leaders).
    if user.is_villager:
        return redirect("accounts:home")
    districts = districts_for(user).order_by("code").only("pk", "name", "code")
    selected = request.GET.get("district", "")
    selected_id = int(selected) if selected.isdigit() else None
    if selected_id is not None and not districts.filter(pk=selected_id).exists():
        selected_id = None
    return render(
        request,
        "grid/map.html",
        {"districts": districts, "selected_district": selected_id, "map_labels": map_labels()},
    )
