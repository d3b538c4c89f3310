"""Pages of the patrols app: the villager's phone pages and the staff map workspace.

The pages are shells: every read and write goes through the REST API (patrols/api.py),
so the rules live once, in services and selectors, and the phone can queue a report
offline and send it later through the very same endpoint.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from houhu.accounts.scopes import Can, can, districts_for
from houhu.lib import limits
from houhu.lib.errors import DomainError

from . import figures, plain_words, selectors, services, tiles, workflow
from .errors import InvalidInput
from .forms import ReportForm
from .models import Report, ReportEvent
from .serializers import ReportSubmitSerializer

# Strings the pages' JavaScript shows, translated by Django and passed as a JSON block.
# "{n}", "{m}" and "{error}" are filled in by the script.
REPORT_TEXT = {
    "locating": gettext_lazy("Finding your location…"),
    "located": gettext_lazy("Location found, accurate to about {m} m"),
    "located_map": gettext_lazy("Location chosen on the map"),
    "located_exif": gettext_lazy("Location taken from the photo"),
    "no_gps": gettext_lazy("Could not get your location. Tap “Choose on the map”."),
    "map_home": gettext_lazy("My home"),
    "map_here": gettext_lazy("I am here"),
    "tap_map": gettext_lazy("Tap the map where the problem is."),
    "map_failed": gettext_lazy("The map could not be loaded. Try again when there is signal."),
    "need_kind": gettext_lazy("Choose what you found."),
    "need_location": gettext_lazy("Give the location: use your location or choose it on the map."),
    "too_many_photos": gettext_lazy("At most {n} photos."),
    "remove_photo": gettext_lazy("Remove photo"),
    "photo_n": gettext_lazy("Photo {n}"),
    "photo_count": gettext_lazy("{n} of {max} photos"),
    "waiting": gettext_lazy("Waiting to send ({n})"),
    "sending": gettext_lazy("Sending…"),
    "sent": gettext_lazy("Sent"),
    "sent_title": gettext_lazy("Report sent. Thank you!"),
    "queued_title": gettext_lazy(
        "No signal: the report is saved on this phone and will be sent when the connection returns."
    ),
    "failed": gettext_lazy("Not sent: {error}"),
    "discard": gettext_lazy("Discard"),
    "server_error": gettext_lazy("The server could not take the report now; it will retry."),
    "nearby_row": gettext_lazy("{kind}, {m} m from here, {age}: {status}"),
    "nearby_add": gettext_lazy("That is it: add mine to it"),
    "age_now": gettext_lazy("just now"),
    "age_hours": gettext_lazy("{n} hours ago"),
    "age_days": gettext_lazy("{n} days ago"),
    "sighting_title": gettext_lazy(
        "Thank you! Yours is added to that report; the station deals with them together."
    ),
}

LIST_TEXT = {
    "waiting": REPORT_TEXT["waiting"],
    "waiting_item": gettext_lazy("Waiting to send"),
    "failed": REPORT_TEXT["failed"],
    "discard": REPORT_TEXT["discard"],
    "empty": gettext_lazy("No reports yet."),
    "load_failed": gettext_lazy("Could not load your reports. Check the connection."),
    "in_zone": gettext_lazy("inside the protection zone"),
    "distance": gettext_lazy("{m} m from the line"),
    "not_fixed": gettext_lazy("It is not fixed"),
    "not_fixed_note": gettext_lazy("What is still wrong? (optional)"),
    "not_fixed_done": gettext_lazy("Thank you: the station will look at it again."),
    "history": gettext_lazy("What happened"),
    "photos": gettext_lazy("Photos"),
    "by": gettext_lazy("by {name}"),
    "submitted": gettext_lazy("Reported"),
    "status": gettext_lazy("Status"),
    "segment": gettext_lazy("Line segment"),
    "district": gettext_lazy("Service grid"),
    "responsibles": gettext_lazy("Responsible"),
    "note": gettext_lazy("Note"),
    "notices": gettext_lazy("Notifications ({n})"),
    "no_notices": gettext_lazy("No notifications."),
    "cleared": gettext_lazy("Cleared"),
    "trees_removed": gettext_lazy("{n} trees removed"),
    "place": gettext_lazy("Where it is"),
    "sightings_label": gettext_lazy("Seen too"),
    "sightings": gettext_lazy("by {n} more villagers"),
    "sent_at": gettext_lazy("Sent {at}"),
}

WORKSPACE_TEXT = {
    "reports": gettext_lazy("Patrol reports"),
    "queue_title": gettext_lazy("Work queue"),
    "queue_empty": gettext_lazy("Nothing waiting: every report is decided and cleared."),
    "queue_more": gettext_lazy("Show more"),
    "queue_left": gettext_lazy("{t} left"),
    "queue_overdue": gettext_lazy("overdue by {t}"),
    "queue_days": gettext_lazy("{d} d {h} h"),
    "queue_hours": gettext_lazy("{h} h"),
    "queue_minutes": gettext_lazy("{m} min"),
    "notices": gettext_lazy("Notifications ({n})"),
    "no_notices": gettext_lazy("No notifications."),
    "districts": gettext_lazy("Service grids"),
    "segments": gettext_lazy("Line segments"),
    "legend": gettext_lazy("Report markers"),
    "legend_kind": gettext_lazy("Kind"),
    "legend_status": gettext_lazy("Status"),
    "open": gettext_lazy("open (filled)"),
    "closed": gettext_lazy("closed (pale)"),
    "cluster_urgent": gettext_lazy("group with an open hazard inside the zone"),
    "cluster_open": gettext_lazy("group with open reports"),
    "cluster_closed": gettext_lazy("group, all closed"),
    "count": gettext_lazy("{n} reports"),
    "search_found": gettext_lazy("Found: {n} reports"),
    "search_none": gettext_lazy("No report matches."),
    "load_failed": gettext_lazy("Could not load the reports. Check the connection."),
    "counts_as_of": gettext_lazy("as of {at}"),
    "close": gettext_lazy("Close"),
    "submitted": gettext_lazy("Reported"),
    "reporter": gettext_lazy("Reported by"),
    "sightings_label": LIST_TEXT["sightings_label"],
    "sightings": LIST_TEXT["sightings"],
    "location": gettext_lazy("Location"),
    "accuracy": gettext_lazy("±{m} m ({source})"),
    "distance": gettext_lazy("Distance to the line"),
    "distance_m": gettext_lazy("{m} m"),
    "in_zone": gettext_lazy("inside the protection zone"),
    "out_zone": gettext_lazy("outside the protection zone"),
    "segment": gettext_lazy("Line segment"),
    "district": gettext_lazy("Service grid"),
    "transformer_area": gettext_lazy("Transformer area"),
    "village": gettext_lazy("Village"),
    "grid_manager": gettext_lazy("Grid manager"),
    "responsibles": gettext_lazy(
        "Responsible (you take the patch, I take the segment, every household takes its front door)"
    ),
    "photos": gettext_lazy("Photos"),
    "history": gettext_lazy("History"),
    "merge_candidates": gettext_lazy("Possible duplicates nearby"),
    "actions": gettext_lazy("Actions"),
    "no_actions": gettext_lazy("No action is open to you on this report."),
    "note": gettext_lazy("Note"),
    "reason": gettext_lazy("Reason (required)"),
    "reason_hint": gettext_lazy("duplicate, not a hazard, wrong place…"),
    "safety": gettext_lazy("Safety measures agreed"),
    "trees_removed": gettext_lazy("Trees removed"),
    "cleared_by": gettext_lazy("Cleared by"),
    "after_photo": gettext_lazy("Photo after clearing"),
    "evidence": gettext_lazy("Evidence photo (taken here, now)"),
    "witness": gettext_lazy("Or: a second person present (name)"),
    "on_site_hint": gettext_lazy(
        "Your phone's position is sent with the photo: it must be taken near the hazard."
    ),
    "choose": gettext_lazy("Choose…"),
    "merge_into": gettext_lazy("Duplicate of report"),
    "send": gettext_lazy("Save"),
    "saved": gettext_lazy("Saved."),
    "by": gettext_lazy("by {name}"),
    "trees": gettext_lazy("{n} trees"),
    "tree_distance": gettext_lazy("about {m} m from the conductor"),
}

# The live figures the workspace shows above the map (for the filtered grid and dates).
WORKSPACE_COUNTS = (
    "tree_places_reported", "tree_places_cleared", "trees_removed", "construction_stopped",
    "open_hazards", "open_in_zone", "overdue_confirm", "overdue_clear",
)  # fmt: skip

ACTION_LABELS = {
    "confirm": gettext_lazy("Confirm hazard"),
    "reject": gettext_lazy("Reject"),
    "clear": gettext_lazy("Mark cleared"),
    "verify": gettext_lazy("Verify on the spot"),
    "reopen": gettext_lazy("Reopen"),
    "not_fixed": gettext_lazy("It is not fixed"),
    "stop": gettext_lazy("Construction stopped"),
    "permit": gettext_lazy("Permit with safety measures"),
    "escalate": gettext_lazy("Escalate"),
    "merge": gettext_lazy("Merge as duplicate"),
}


def _max_photos() -> int:
    return settings.PATROLS_MAX_PHOTOS


def _report_config(request: HttpRequest) -> dict:
    user = request.user
    lat, lon = settings.LEAFLET_CONFIG.get("DEFAULT_CENTER", (30.45, 112.80))
    if user.household_id:  # a villager's map opens on their home
        lon, lat = user.household.location.coords
    return {
        "userId": user.pk,
        "maxPhotos": _max_photos(),
        "center": [lat, lon],
        # Loaded only when the villager taps "choose on the map": Leaflet (~40 KB gzipped)
        # stays off the critical path of a 400 kbit/s phone.
        "leafletJs": static("leaflet/leaflet.js"),
        "leafletCss": static("leaflet/leaflet.css"),
        "villagerMapJs": static("js/villager-map.js"),
        # The villager's surroundings (houhu.grid.surroundings); the basemap if configured.
        "aroundMe": "/api/layers/around-me/" if user.household_id else None,
        "tiles": [list(t) for t in settings.LEAFLET_CONFIG.get("TILES") or []],
        "sw": reverse("accounts:service_worker"),
        "segments": _api_urls()["segments"],
        "nearbyApi": "/api/patrols/nearby/",
        "sightingsApi": "/api/patrols/sightings/",
        "detailBase": reverse("patrols:my_reports"),
        "kinds": dict(Report.Kind.choices),
        "clearedBy": dict(Report.ClearedBy.choices),
    }


def _workspace_config() -> dict:
    return {
        # The action form's limits, from the model fields the serializer also reads.
        "limits": {
            "note": limits.max_length(ReportEvent, "note"),
            "trees_removed": limits.bounds(Report, "trees_removed"),
        },
        "kinds": dict(Report.Kind.choices),
        "statuses": dict(Report.Status.choices),
        "openStatuses": list(Report.OPEN_STATUSES),
        "triageStatuses": list(workflow.TRIAGE_STATUSES),
        "toVerifyStatuses": list(workflow.HAZARD_TO_VERIFY_STATUSES),
        "timeZone": settings.TIME_ZONE,
        # The report tiles draw every report from this zoom on, counted cells below it.
        "reportPointsMinZoom": tiles.REPORT_POINTS_MIN_ZOOM,
        # The figures above the map, with their labels (patrols.figures).
        "counts": [
            {"key": f.key, "label": f.label}
            for f in (*figures.FLOWS, *figures.STOCKS)
            if f.key in WORKSPACE_COUNTS
        ],
        "actions": ACTION_LABELS,
        "clearedBy": dict(Report.ClearedBy.choices),
        "locationSources": dict(Report.LocationSource.choices),
        # The three scopes of the village compact (the pledges app's labels, same msgids).
        "scopes": {
            "patch": gettext_lazy("Patch (你包片)"),
            "segment": gettext_lazy("Segment (我包段)"),
            "front_door": gettext_lazy("Front door (家家户户包门前)"),
        },
    }


def _deny_readers(request: HttpRequest) -> None:
    if not can(request.user, Can.FILE_REPORTS):
        raise PermissionDenied(_("County leaders read the statistics; they do not file reports."))


def _first_error(errors) -> str:
    """The first message of a serializer's errors (a dict of lists, maybe nested)."""
    value = next(iter(errors.values()), "") if isinstance(errors, dict) else errors
    while isinstance(value, (list, dict)):
        value = next(iter(value.values() if isinstance(value, dict) else value), "")
    return str(value)


def _api_urls() -> dict[str, str]:
    # The API's paths are a published contract (see the OpenAPI schema), not route names.
    return {
        "reports": "/api/patrols/reports/",
        "layer": "/api/patrols/layers/reports/",
        "counts": "/api/patrols/counts/",
        "notifications": "/api/patrols/notifications/",
        "queue": "/api/patrols/queue/",
        "segments": "/api/layers/segments/",
        "lines": "/api/layers/lines/",
    }


@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    """The report form: villagers on a phone, staff recording their own findings.

    With JavaScript the page posts to the API through the offline outbox; this POST branch
    is the same submission for a browser without it, through the same service.
    """
    _deny_readers(request)
    error, status = "", 200
    if request.method == "POST":
        data = request.POST.copy()
        data.setlist("photos", request.FILES.getlist("photos"))
        # The API's boundary, for the same submission without JavaScript.
        incoming = ReportSubmitSerializer(data=data)
        try:
            if not incoming.is_valid():
                raise InvalidInput(_first_error(incoming.errors))
            report, _created = services.report_submit(
                reporter=request.user,
                submission=incoming.submission(request.FILES.getlist("photos")),
            )
        except DomainError as exc:
            error, status = str(exc.message), exc.http_status
        else:
            messages.success(request, _("Report sent. Thank you!"))
            return redirect("patrols:report_detail", pk=report.pk)
    return render(
        request,
        "patrols/report_new.html",
        {
            "form": ReportForm(),
            "kinds": plain_words.kind_choices(),
            "behaviours": plain_words.behaviour_choices(),
            "api": _api_urls(),
            "max_photos": _max_photos(),
            "config": _report_config(request),
            "i18n": REPORT_TEXT,
            "client_id": uuid.uuid4(),
            "error": error,
        },
        status=status,
    )


MY_REPORTS_PER_PAGE = 20


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    """One request per visit: the list is in the page (no second fetch of the same data),
    so the service worker keeps each page of it as it was last seen."""
    open_only = request.GET.get("open") == "1"
    mine = selectors.my_reports(request.user, open_only=open_only)
    page = Paginator(mine, MY_REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "patrols/my_reports.html",
        {
            "page": page,
            "open_only": open_only,
            "api": _api_urls(),
            "i18n": LIST_TEXT,
            "config": _report_config(request),
        },
    )


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # The API decides whether this user may see the report (404 otherwise): one rule.
    return render(
        request,
        "patrols/report_detail.html",
        {"pk": pk, "api": _api_urls(), "i18n": LIST_TEXT, "config": _report_config(request)},
    )


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    """The staff map workspace. Villagers have their own pages; leaders may look."""
    if not can(request.user, Can.STAFF_PAGES):
        raise PermissionDenied(_("The map workspace is for station staff and grid managers."))
    return render(
        request,
        "patrols/workspace.html",
        {
            "form": ReportForm(),
            "kinds": Report.Kind.choices,
            "statuses": Report.Status.choices,
            "districts": districts_for(request.user).only("pk", "name"),
            "api": _api_urls(),
            "i18n": WORKSPACE_TEXT,
            "config": _workspace_config(),
            "map_closed_days": settings.PATROLS_MAP_CLOSED_DAYS,
        },
    )


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The retired worker of /patrols/ (see the template): phones that installed it drop it
    for the site's worker, houhu.accounts.app_views.service_worker."""
    body = render_to_string("patrols/sw.js", request=request)
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("patrols:service_worker").rsplit("/", 1)[0] + "/"
    return response
