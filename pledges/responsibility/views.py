"""Pages of responsibility (你包片、我包段、家家户户包门前): the villager's own patch, segment
and front door, and for staff the assignment map, front doors and the coverage map and
tables.

Thin on purpose: every rule is in `services`, every scoped read in `selectors`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from houhu.accounts.models import User
from houhu.accounts.scopes import Can, Shown, Whose, districts_for, personal_data, roles_with
from houhu.grid.models import Village
from houhu.lib.errors import DomainError

from ..compact import selectors as compact_selectors
from ..web import (
    LIST_LIMIT,
    around,
    error_text,
    forbid_read_only,
    map_config,
    metres,
    picked_district,
    staff_context,
    staff_required,
    villager_required,
)
from . import selectors, services, tasks
from .forms import AssignmentForm
from .models import Assignment

# Colours shared by the maps and their legends (one place, so the legend never lies).
COLOUR_RESPONSIBLE = "#0b6e4f"


COLOUR_NOBODY = "#d0342c"


COLOUR_NO_HOUSEHOLDS = "#9aa4ad"


SHARE_BANDS = ((0.9, "#0b6e4f"), (0.6, "#7cb342"), (0.3, "#f0a30a"), (0.0, "#d0342c"))


SCOPE_COLOURS = {"patch": "#6a4fb3", "segment": "#d0342c", "front_door": "#f0a30a"}


# Confirming front doors is done a screenful at a time; the rest follow on the next load.
FRONT_DOOR_LIST_LIMIT = 30


@villager_required
@require_GET
def my_responsibility(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = selectors.villager_responsibilities(user=user)
    rows = [
        {
            "scope": "patch",
            "kind_label": a.get_scope_display(),
            "label": a.note or (a.village.name if a.village_id else ""),
            "valid_from": a.valid_from,
            "valid_until": a.valid_until,
        }
        for a in mine["patches"]
    ]
    rows += [
        {
            "scope": "segment",
            "kind_label": a.get_scope_display(),
            "label": f"{a.segment.line.name} · {a.segment.code} · {metres(a.length_m)} m",
            "valid_from": a.valid_from,
            "valid_until": a.valid_until,
        }
        for a in mine["segments"]
    ]
    fd = mine["front_door"]
    if fd is not None:
        label = f"{fd.segment.line.name} · {fd.segment.code}"
        if fd.distance_m is not None:
            label += " · " + _("%(m)d m from your door") % {"m": round(fd.distance_m)}
        rows.append(
            {
                "scope": "front_door",
                "kind_label": fd.get_scope_display(),
                "label": label,
                "valid_from": fd.valid_from,
                "valid_until": fd.valid_until,
            }
        )
    for row in rows:
        row["colour"] = SCOPE_COLOURS[row["scope"]]
    version = mine["version"]
    zone = settings.HOUHU_PROTECTION_ZONES[10]
    district = user.household.transformer_area.district
    return render(
        request,
        "pledges/my_responsibility.html",
        {
            "assignments": rows,
            "clauses": version.clauses.order_by("number") if version else [],
            "zone_m": f"{zone['zone_m']:g}",
            "tree_clearance_m": f"{zone['tree_clearance_m']:g}",
            "manager_phone": district.manager_phone,
            "map_config": map_config(
                dataUrl=reverse("pledges:my_responsibility_geojson"),
                # The lines around the home, for orientation (the core layer, scoped).
                contextUrl="/api/layers/segments/?bbox={:.5f},{:.5f},{:.5f},{:.5f}".format(
                    *around(user.household.location, 0.01)
                ),
                css=[static("leaflet/leaflet.css")],
                js=[
                    static("leaflet/leaflet.js"),
                    static("pledges/map.js"),
                    static("js/villager-map.js"),
                ],
                aroundUrl="/api/layers/around-me/",
                styles={
                    "patch": {"color": SCOPE_COLOURS["patch"], "weight": 2, "fillOpacity": 0.15},
                    "segment": {"color": SCOPE_COLOURS["segment"], "weight": 7},
                    "front_door": {"color": SCOPE_COLOURS["front_door"], "weight": 7},
                    "home": {"color": "#1d2630"},
                    "context": {"color": "#5b6773", "weight": 2},
                },
                labels={
                    "loading": _("Loading the map…"),
                    "retry": _("Try again"),
                    "home": _("My home"),
                    "here": _("I am here"),
                },
            ),
        },
    )


@villager_required
@require_GET
def my_responsibility_geojson(request: HttpRequest) -> HttpResponse:
    body = selectors.villager_responsibilities_geojson(user=request.user)
    return HttpResponse(body, content_type="application/geo+json")


def rate_row(r: dict) -> dict:
    """Percentages and kilometres for display; the figures themselves come from SQL."""

    def pct(x):
        return 0.0 if x is None else 100.0 * float(x)

    return {
        **r,
        "pledge_rate": pct(r.get("pledge_rate")),
        "length_rate": pct(r.get("responsibility_rate")),
        "front_door_rate": pct(r.get("front_door_rate")),
        "total_km": (r.get("line_length_m") or 0) / 1000.0,
        "covered_km": (r.get("covered_length_m") or 0) / 1000.0,
        "front_doors": r.get("front_doors_confirmed") or 0,
    }


def _assignable_users(request: HttpRequest, district) -> list[tuple[int, str]]:
    # The people one may assign, by name: only for a reader who sees who is responsible
    # (scopes.PERSONAL_DATA; a county leader reads the map without names and writes nothing).
    if personal_data(request.user, Whose.RESPONSIBLE) is not Shown.FULL:
        return []
    qs = User.objects.filter(is_active=True, role__in=roles_with(Can.HOLD_RESPONSIBILITY))
    qs = qs.filter(
        Q(station=district.station) | Q(household__transformer_area__district=district)
    ).order_by("role", "display_name", "username")
    return [(u.pk, f"{u} ({u.get_role_display()})") for u in qs[:300]]


@staff_required
def assign_map(request: HttpRequest) -> HttpResponse:
    districts = districts_for(request.user).order_by("name")
    district = picked_district(request) or districts.first()
    if district is None:
        raise PermissionDenied(_("No service grid is in your scope."))
    form = AssignmentForm(
        initial={"valid_from": timezone.localdate(), "is_primary": True},
        user_choices=_assignable_users(request, district),
    )
    status = 200
    if request.method == "POST":
        forbid_read_only(request)
        form = AssignmentForm(request.POST, user_choices=_assignable_users(request, district))
        if form.is_valid():
            data = form.cleaned_data
            person = {
                "user": User.objects.filter(pk=data["user"]).first() if data["user"] else None,
                "person_name": data["person_name"],
                "person_phone": data["person_phone"],
            }
            try:
                if data["segments"]:
                    segments = list(district.segments.filter(pk__in=data["segments"]))
                    if len(segments) != len(data["segments"]):
                        raise DomainError(
                            _("Some selected segments are not in the service grid %(d)s.")
                            % {"d": district}
                        )
                    made = services.assign_segments(
                        segments=segments,
                        **person,
                        valid_from=data["valid_from"],
                        valid_until=data["valid_until"],
                        is_primary=data["is_primary"],
                        by=request.user,
                    )
                    count = len(made)
                else:
                    services.assign_patch(
                        polygon=data["area"],
                        district=district,
                        **person,
                        valid_from=data["valid_from"],
                        valid_until=data["valid_until"],
                        by=request.user,
                    )
                    count = 1
            except (DomainError, ValidationError) as exc:
                messages.error(request, error_text(exc))
                status = 400
            else:
                messages.success(request, _("%(n)d assignment(s) saved.") % {"n": count})
                return redirect(reverse("pledges:assign_map") + f"?district={district.pk}")
        else:
            status = 400
    villages = (
        Village.objects.filter(households__transformer_area__district=district)
        .distinct()
        .order_by("office", "name")
    )
    proposed = (
        selectors.assignments_for(request.user)
        .filter(
            district=district,
            scope=Assignment.Scope.FRONT_DOOR,
            front_door_state=Assignment.FrontDoorState.PROPOSED,
            cancelled_at__isnull=True,
            valid_until__isnull=True,
        )
        .select_related("household", "segment")
        .order_by("household__village__name", "household__customer_number")
    )
    today = timezone.localdate()
    recent = (
        Assignment.objects.none()
        if personal_data(request.user, Whose.RESPONSIBLE) is not Shown.FULL
        else Assignment.objects.filter(district=district, cancelled_at__isnull=True)
        .exclude(scope=Assignment.Scope.FRONT_DOOR)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("segment", "user", "household")
        .order_by("-created_at")[:20]
    )
    return render(
        request,
        "pledges/assign_map.html",
        staff_context(
            request,
            districts=districts,
            district=district,
            form=form,
            villages=villages,
            recent=recent,
            proposed=proposed[:FRONT_DOOR_LIST_LIMIT],
            proposed_count=proposed.count(),
            front_door_distance_m=f"{services.front_door_max_distance_m():g}",
            map_config=map_config(
                # The coverage layer: the segments with who answers for them already.
                segmentsUrl=reverse("pledges-api:layer-segment-coverage")
                + f"?district={district.pk}",
                patchesUrl=reverse("pledges-api:layer-assignments")
                + f"?district={district.pk}&scope=patch",
                responsibleColour=COLOUR_RESPONSIBLE,
                districtsUrl=f"/api/layers/districts/?district={district.pk}",
                segmentColour="#3b6ea8",
                selectedColour="#f0a30a",
                labels={"noneSelected": _("No segment selected.")},
            ),
        ),
        status=status,
    )


@staff_required
@require_POST
def front_door_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a proposed front door, or move it to the one segment selected on the map."""
    forbid_read_only(request)
    assignment = get_object_or_404(
        selectors.assignments_for(request.user).filter(scope=Assignment.Scope.FRONT_DOOR), pk=pk
    )
    back = reverse("pledges:assign_map") + f"?district={assignment.district_id}"
    try:
        if request.POST.get("action") == "adjust":
            ids = [x for x in request.POST.get("segments", "").split(",") if x.strip()]
            if len(ids) != 1 or not ids[0].isdigit():
                raise DomainError(_("Select exactly one segment on the map first."))
            segment = selectors.segments_for(request.user).filter(pk=int(ids[0])).first()
            if segment is None:
                raise DomainError(_("This segment is not in your service grids."))
            services.adjust_front_door(assignment=assignment, segment=segment, by=request.user)
            messages.success(request, _("Front door moved to %(code)s.") % {"code": segment.code})
        else:
            services.confirm_front_door(assignment=assignment, by=request.user)
            messages.success(request, _("Front door confirmed."))
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
    return redirect(back)


@staff_required
@require_POST
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a patch or segment responsibility (today is its last day); history is kept."""
    forbid_read_only(request)
    assignment = get_object_or_404(selectors.assignments_for(request.user), pk=pk)
    try:
        services.end_assignment(assignment=assignment, by=request.user)
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Responsibility ended; it stays in the history."))
    return redirect(reverse("pledges:assign_map") + f"?district={assignment.district_id}")


@staff_required
@require_POST
def derive_front_doors(request: HttpRequest) -> HttpResponse:
    forbid_read_only(request)
    try:
        village = Village.objects.get(pk=int(request.POST.get("village", "")))
    except (ValueError, Village.DoesNotExist):
        messages.error(request, _("Choose a village."))
        return redirect("pledges:assign_map")
    try:
        task_id = tasks.derive_front_doors_later(village=village, by=request.user)
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
        return redirect("pledges:assign_map")
    return redirect("pledges:task_progress", task_id=task_id, village=village.pk)


@staff_required
@require_GET
def task_progress(request: HttpRequest, task_id: str, village: int) -> HttpResponse:
    village_obj = get_object_or_404(Village, pk=village)
    return render(
        request,
        "pledges/task_progress.html",
        staff_context(
            request,
            village=village_obj,
            status_url=reverse("pledges-api:task-status", kwargs={"task_id": task_id}),
            labels={
                "running": _("%(done)s of %(total)s households done…"),
                "success": _(
                    "Done: %(with)s of %(total)s households have a front door proposed; "
                    "%(far)s have no line segment within reach."
                ),
                "failure": _("The derivation failed; nothing was changed. Try again."),
            },
        ),
    )


@staff_required
@require_GET
def coverage_map(request: HttpRequest) -> HttpResponse:
    districts = districts_for(request.user).order_by("name")
    district = picked_district(request)
    query = f"?district={district.pk}" if district else ""
    if district:
        rows = [
            r
            for r in selectors.coverage(level="district", user=request.user)
            if r["id"] == district.pk
        ]
    else:
        rows = selectors.coverage(level="station", user=request.user)
    totals = rate_row(rows[0]) if len(rows) == 1 else None
    share_legend = [
        (band, colour, _("%(p)d%% or more signed") % {"p": round(band * 100)})
        for band, colour in SHARE_BANDS[:-1]
    ] + [
        (
            0.0,
            SHARE_BANDS[-1][1],
            _("Under %(p)d%% signed") % {"p": round(SHARE_BANDS[-2][0] * 100)},
        )
    ]
    return render(
        request,
        "pledges/coverage_map.html",
        staff_context(
            request,
            districts=districts,
            district=district,
            totals=totals,
            colours={
                "responsible": COLOUR_RESPONSIBLE,
                "none": COLOUR_NOBODY,
                "no_households": COLOUR_NO_HOUSEHOLDS,
            },
            share_legend=share_legend,
            figures_at=timezone.now(),
            map_config=map_config(
                coverageUrl=reverse("pledges-api:layer-segment-coverage") + query,
                districtsUrl="/api/layers/districts/" + query,
                responsibleColour=COLOUR_RESPONSIBLE,
                noneColour=COLOUR_NOBODY,
                noHouseholdsColour=COLOUR_NO_HOUSEHOLDS,
                shareColours=[list(b) for b in SHARE_BANDS],
                labels={
                    "segment": _("Segment"),
                    "responsible": _("Responsible"),
                    "nobody": _("nobody"),
                    "signed": _("Households signed"),
                },
            ),
        ),
    )


@staff_required
@require_GET
def coverage_tables(request: HttpRequest) -> HttpResponse:
    user = request.user
    district = picked_district(request)
    levels = (
        ("station", _("Per station")),
        ("district", _("Per service grid")),
        ("village", _("Per village")),
        ("transformer_area", _("Per transformer area")),
    )
    keep = None
    if district is not None:
        # coverage() groups the user's whole scope; narrowing to one grid is a filter on
        # the group ids, the figures themselves stay SQL aggregates.
        keep = {
            "station": {district.station_id},
            "district": {district.pk},
            "village": set(
                Village.objects.filter(households__transformer_area__district=district).values_list(
                    "pk", flat=True
                )
            ),
            "transformer_area": set(district.transformer_areas.values_list("pk", flat=True)),
        }
    rate_tables = [
        (
            title,
            [
                rate_row(r)
                for r in selectors.coverage(level=level, user=user)
                if keep is None or r["id"] in keep[level]
            ],
        )
        for level, title in levels
    ]
    unsigned_qs = compact_selectors.unsigned_households(user=user, district=district)
    unassigned_qs = selectors.unassigned_segments(user=user, district=district)
    unsigned = list(unsigned_qs[: LIST_LIMIT + 1])
    unassigned = list(unassigned_qs[: LIST_LIMIT + 1])
    return render(
        request,
        "pledges/coverage_tables.html",
        staff_context(
            request,
            districts=districts_for(user).order_by("name"),
            district=district,
            rate_tables=rate_tables,
            figures_at=timezone.now(),
            unsigned=unsigned[:LIST_LIMIT],
            unsigned_count=unsigned_qs.count(),
            unsigned_truncated=len(unsigned) > LIST_LIMIT,
            unassigned=unassigned[:LIST_LIMIT],
            unassigned_count=unassigned_qs.count(),
            unassigned_truncated=len(unassigned) > LIST_LIMIT,
            unsigned_limit=LIST_LIMIT,
            unassigned_limit=LIST_LIMIT,
        ),
    )
