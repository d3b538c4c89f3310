"""What the pledges app's pages and API share: who may open a page, the staff pages'
context, the map settings, turning a refusal into a message, and the API's parsing and
error descriptions. Every answer about who may do what comes from houhu.accounts.scopes."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework.request import Request

from houhu.accounts.scopes import Can, can, districts_for, is_read_only

from .compact.serializers import ErrorSerializer

GEOJSON = "application/geo+json"
ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorSerializer, description="Broken rule or bad input."),
    403: OpenApiResponse(ErrorSerializer, description="Outside your area or role."),
    409: OpenApiResponse(ErrorSerializer, description="Already signed / assigned."),
}
# The paper lists stay printable; the coverage map and the CSV carry the full picture.
LIST_LIMIT = 500


def villager_required(view):
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not can(request.user, Can.VILLAGER_PAGES):
            return redirect("pledges:staff_home")
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view):
    """Station staff, grid managers and (read-only) leaders: never villagers."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not can(request.user, Can.STAFF_PAGES):
            return redirect("pledges:my_compact")
        return view(request, *args, **kwargs)

    return wrapper


def forbid_read_only(request: HttpRequest) -> None:
    """Before a staff page writes: only those who act in their districts (on these pages,
    everyone but the county leaders, who only read)."""
    if not can(request.user, Can.ACT_IN_DISTRICTS):
        raise PermissionDenied(_("County leaders can read but not change the ledger."))


def staff_context(request: HttpRequest, **extra) -> dict:
    user = request.user
    return {
        "can_manage": can(user, Can.ACT_IN_DISTRICTS),
        "can_edit_compacts": can(user, Can.EDIT_COMPACTS),
        "read_only": is_read_only(user),
        **extra,
    }


def map_config(**extra) -> dict:
    leaflet = settings.LEAFLET_CONFIG
    return {
        "tiles": [list(t) for t in leaflet.get("TILES") or []],
        "center": list(leaflet.get("DEFAULT_CENTER", (30.45, 112.80))),
        "zoom": leaflet.get("DEFAULT_ZOOM", 11),
        **extra,
    }


def around(point, degrees: float) -> tuple[float, float, float, float]:
    return (point.x - degrees, point.y - degrees, point.x + degrees, point.y + degrees)


def metres(value) -> int:
    """Length annotations come back as a `Distance` (GeoDjango) or a float."""
    if value is None:
        return 0
    return round(getattr(value, "m", value))


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def picked_district(request: HttpRequest):
    """The ?district= the user chose, only among their own; None means all of them."""
    raw = request.GET.get("district") or request.POST.get("district")
    if not raw:
        return None
    try:
        return districts_for(request.user).get(pk=int(raw))
    except (ValueError, TypeError) as exc:
        raise Http404 from exc
    except districts_for(request.user).model.DoesNotExist as exc:
        raise Http404 from exc


def get_or_404(model, pk):
    # Existence only: every permission is the service's decision (it raises NotAllowed).
    return get_object_or_404(model, pk=pk)


def valid(serializer_class, request: Request, data=None) -> dict:
    serializer = serializer_class(data=request.data if data is None else data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
