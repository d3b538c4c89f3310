"""Pages of the village compact (村规民约) and of patch / segment / front-door responsibility.

Thin on purpose: every rule (who may sign or assign what, versions, overlaps) is in
`pledges.services`, every scoped read in `pledges.selectors`. A view parses the form, calls
one service, and turns a domain error into a translated message; nothing is half-written
because the services are atomic.
"""

from __future__ import annotations

import csv
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from houhu.accounts.models import User
from houhu.accounts.scopes import districts_for, is_read_only
from houhu.grid.models import Household, Village

from . import selectors, services
from .errors import PledgeError
from .forms import (
    AssignmentForm,
    ClauseForm,
    CompactCreateForm,
    CsvImportForm,
    DraftEditForm,
    PaperSigningForm,
    PublishForm,
    SignForm,
    VisitForm,
)
from .models import Assignment, Compact, CompactVersion, HouseholdVisit

# Colours shared by the maps and their legends (one place, so the legend never lies).
COLOUR_RESPONSIBLE = "#0b6e4f"
COLOUR_NOBODY = "#d0342c"
COLOUR_NO_HOUSEHOLDS = "#9aa4ad"
SHARE_BANDS = ((0.9, "#0b6e4f"), (0.6, "#7cb342"), (0.3, "#f0a30a"), (0.0, "#d0342c"))
SCOPE_COLOURS = {"patch": "#6a4fb3", "segment": "#d0342c", "front_door": "#f0a30a"}
# Confirming front doors is done a screenful at a time; the rest follow on the next load.
FRONT_DOOR_LIST_LIMIT = 30
# The paper lists stay printable; the coverage map and the CSV carry the full picture.
LIST_LIMIT = 500


# --- access ------------------------------------------------------------------------------


def villager_required(view):
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_villager:
            return redirect("pledges:staff_home")
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view):
    """Station staff, grid managers and (read-only) leaders: never villagers."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.user.is_villager:
            return redirect("pledges:my_compact")
        return view(request, *args, **kwargs)

    return wrapper


def _forbid_read_only(request: HttpRequest) -> None:
    if is_read_only(request.user):
        raise PermissionDenied(_("County leaders can read but not change the ledger."))


def _staff_context(request: HttpRequest, **extra) -> dict:
    user = request.user
    return {
        "can_manage": not is_read_only(user),
        "can_edit_compacts": user.is_superuser or user.is_station_staff,
        "read_only": is_read_only(user),
        **extra,
    }


def _map_config(**extra) -> dict:
    leaflet = settings.LEAFLET_CONFIG
    return {
        "tiles": [list(t) for t in leaflet.get("TILES") or []],
        "center": list(leaflet.get("DEFAULT_CENTER", (30.45, 112.80))),
        "zoom": leaflet.get("DEFAULT_ZOOM", 11),
        **extra,
    }


def _around(point, degrees: float) -> tuple[float, float, float, float]:
    return (point.x - degrees, point.y - degrees, point.x + degrees, point.y + degrees)


def _metres(value) -> int:
    """Length annotations come back as a `Distance` (GeoDjango) or a float."""
    if value is None:
        return 0
    return round(getattr(value, "m", value))


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _picked_district(request: HttpRequest):
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


# --- villager ----------------------------------------------------------------------------


def household_pledge_status(*, household: Household, user: User) -> dict:
    """What the villager's pages show: the version in force, whether it is signed, and the
    renewal reminder. Composed from the selectors; no rule of its own."""
    version = selectors.compact_in_force(village=household.village)
    active = selectors.pledge_for_household(household=household)
    signed_current = bool(active and version and active.version_id == version.pk)
    return {
        "version": version,
        "active_pledge": active,
        "signed_current": signed_current,
        # Due: an active pledge older than the renewal period or on a superseded version.
        "renewal_due": bool(active)
        and selectors.households_due_for_renewal(user=user).filter(pk=household.pk).exists(),
    }


@villager_required
@require_GET
def my_compact(request: HttpRequest) -> HttpResponse:
    household = request.user.household
    status = household_pledge_status(household=household, user=request.user)
    version = status["version"]
    sign_form = None
    if version and (not status["signed_current"] or status["renewal_due"]):
        sign_form = SignForm(initial={"version": version.pk})
    return render(
        request,
        "pledges/my_compact.html",
        {
            "household": household,
            "version": version,
            "clauses": version.clauses.order_by("number") if version else [],
            "active_pledge": status["active_pledge"],
            "renewal_due": status["renewal_due"],
            "sign_form": sign_form,
            "history": selectors.pledge_history(household=household),
        },
    )


@villager_required
@require_POST
def sign(request: HttpRequest) -> HttpResponse:
    form = SignForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("pledges:my_compact")
    version = CompactVersion.objects.filter(pk=form.cleaned_data["version"]).first()
    if version is None:
        messages.error(request, _("This compact does not exist."))
        return redirect("pledges:my_compact")
    household = request.user.household
    status = household_pledge_status(household=household, user=request.user)
    active = status["active_pledge"]
    try:
        # The household is always the villager's own: a household id in the POST is ignored.
        if status["renewal_due"] and active and active.version_id == version.pk:
            # Same version, renewal period over: the service closes the old pledge.
            services.pledge_renew(
                pledge=active,
                version=version,
                by=request.user,
                confirm=form.cleaned_data["confirm"],
            )
        else:
            services.pledge_sign_online(
                household=household,
                version=version,
                by=request.user,
                confirm=form.cleaned_data["confirm"],
            )
    except (PledgeError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Thank you: your household has signed the village compact."))
    return redirect("pledges:my_compact")


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
            "label": f"{a.segment.line.name} · {a.segment.code} · {_metres(a.length_m)} m",
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
            "map_config": _map_config(
                dataUrl=reverse("pledges:my_responsibility_geojson"),
                # The lines around the home, for orientation (the core layer, scoped).
                contextUrl="/api/layers/segments/?bbox={:.5f},{:.5f},{:.5f},{:.5f}".format(
                    *_around(user.household.location, 0.01)
                ),
                css=[static("leaflet/leaflet.css")],
                js=[static("leaflet/leaflet.js"), static("pledges/map.js")],
                styles={
                    "patch": {"color": SCOPE_COLOURS["patch"], "weight": 2, "fillOpacity": 0.15},
                    "segment": {"color": SCOPE_COLOURS["segment"], "weight": 7},
                    "front_door": {"color": SCOPE_COLOURS["front_door"], "weight": 7},
                    "home": {"color": "#1d2630"},
                    "context": {"color": "#5b6773", "weight": 2},
                },
                labels={"loading": _("Loading the map…"), "retry": _("Try again")},
            ),
        },
    )


@villager_required
@require_GET
def my_responsibility_geojson(request: HttpRequest) -> JsonResponse:
    return JsonResponse(selectors.villager_responsibilities_geojson(user=request.user))


# --- staff: overview and compacts -------------------------------------------------------


@staff_required
@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    rows = selectors.coverage(level="district", user=request.user)
    return render(
        request,
        "pledges/staff_home.html",
        _staff_context(request, summary=[_rate_row(r) for r in rows], figures_at=timezone.now()),
    )


def _rate_row(r: dict) -> dict:
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


def _compact_create_form(request: HttpRequest, data=None) -> CompactCreateForm:
    districts = districts_for(request.user)
    return CompactCreateForm(
        data,
        districts=districts,
        villages=Village.objects.filter(
            households__transformer_area__district__in=districts
        ).distinct(),
    )


def _compacts(request: HttpRequest):
    return (
        selectors.compacts_for(user=request.user)
        .select_related("station", "district", "village")
        .prefetch_related("versions")
    )


@staff_required
@require_GET
def compact_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "pledges/compact_list.html",
        _staff_context(
            request,
            compacts=_compacts(request),
            create_form=_compact_create_form(request),
        ),
    )


@staff_required
@require_POST
def compact_create(request: HttpRequest) -> HttpResponse:
    _forbid_read_only(request)
    form = _compact_create_form(request, request.POST)
    if not form.is_valid():
        return render(
            request,
            "pledges/compact_list.html",
            _staff_context(request, compacts=_compacts(request), create_form=form),
            status=400,
        )
    data = form.cleaned_data
    district = data["district"] if data["scope"] == Compact.Scope.DISTRICT else None
    village = data["village"] if data["scope"] == Compact.Scope.VILLAGE else None
    station = (
        (district or village).station
        if (district or village)
        else request.user.station or districts_for(request.user).first().station
    )
    try:
        compact = services.compact_create(
            station=station,
            title=data["title"],
            scope=data["scope"],
            district=district,
            village=village,
            by=request.user,
        )
    except (PledgeError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
        return redirect("pledges:compact_list")
    messages.success(request, _("Draft created: add its clauses, then publish it."))
    return redirect("pledges:version_detail", pk=compact.versions.get().pk)


def _version_for(request: HttpRequest, pk: int) -> CompactVersion:
    version = selectors.versions_for(user=request.user).filter(pk=pk).first()
    if version is None:
        raise Http404
    return version


def _edit_draft(request: HttpRequest, version: CompactVersion) -> str:
    """One edit of a draft, as chosen by the button pressed; returns the success message.
    Each branch is one service call (a move is delete + insert, in one transaction)."""
    action = request.POST.get("action", "")
    user = request.user
    if action == "note":
        form = DraftEditForm(request.POST)
        if not form.is_valid():
            raise PledgeError(_error_text(ValidationError(list(form.errors.values()))))
        services.version_update(
            version=version,
            change_note=form.cleaned_data["change_note"],
            effective_from=form.cleaned_data["effective_from"],
            by=user,
        )
        return _("Draft saved.")
    form = ClauseForm(request.POST)
    if not form.is_valid():
        raise PledgeError(_error_text(ValidationError(list(form.errors.values()))))
    data = form.cleaned_data
    if action == "add":
        services.clause_add(
            version=version, kind=data["kind"], text=data["text"], number=data["number"], by=user
        )
        return _("Clause added.")
    clause = version.clauses.filter(pk=data["clause"]).first()
    if clause is None:
        raise PledgeError(_("This clause is not part of the draft."))
    if action == "save":
        services.clause_update(clause=clause, kind=data["kind"], text=data["text"], by=user)
        return _("Clause saved.")
    if action == "delete":
        services.clause_delete(clause=clause, by=user)
        return _("Clause removed.")
    if action in ("up", "down"):
        target = clause.number - 1 if action == "up" else clause.number + 1
        with transaction.atomic():
            services.clause_delete(clause=clause, by=user)
            services.clause_add(
                version=version,
                kind=clause.kind,
                text=clause.text,
                number=max(target, 1),
                by=user,
            )
        return _("Clause moved.")
    raise PledgeError(_("Unknown action."))


@staff_required
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version_for(request, pk)
    if request.method == "POST":
        _forbid_read_only(request)
        try:
            done = _edit_draft(request, version)
        except (PledgeError, ValidationError) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, done)
        return redirect("pledges:version_detail", pk=version.pk)
    clauses = list(version.clauses.order_by("number"))
    return render(
        request,
        "pledges/version_detail.html",
        _staff_context(
            request,
            version=version,
            clauses=clauses,
            clause_forms=[
                # One <form> per clause: same field names, distinct HTML ids.
                ClauseForm(
                    initial={"clause": c.pk, "kind": c.kind, "text": c.text},
                    auto_id=f"c{c.pk}_%s",
                )
                for c in clauses
            ],
            add_form=ClauseForm(initial={"number": len(clauses) + 1}, auto_id="new_%s"),
            versions=version.compact.versions.order_by("-number"),
            scope_target=version.compact.district or version.compact.village,
            form=DraftEditForm(
                initial={
                    "change_note": version.change_note,
                    "effective_from": version.effective_from,
                }
            ),
            publish_form=PublishForm(
                initial={"effective_from": version.effective_from or timezone.localdate()}
            ),
        ),
    )


@staff_required
@require_POST
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    _forbid_read_only(request)
    version = _version_for(request, pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date from which the compact is in force."))
        return redirect("pledges:version_detail", pk=pk)
    try:
        services.compact_publish(
            version=version, effective_from=form.cleaned_data["effective_from"], by=request.user
        )
    except (PledgeError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Published: villagers can now read and sign this version."))
    return redirect("pledges:version_detail", pk=pk)


@staff_required
@require_POST
def compact_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    _forbid_read_only(request)
    compact = get_object_or_404(selectors.compacts_for(user=request.user), pk=pk)
    try:
        draft = services.compact_new_version(compact=compact, by=request.user)
    except (PledgeError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
        return redirect("pledges:compact_list")
    messages.success(request, _("New draft version made from the one in force."))
    return redirect("pledges:version_detail", pk=draft.pk)


# --- staff: households -------------------------------------------------------------------


def _households_for(request: HttpRequest):
    return Household.objects.filter(
        transformer_area__district__in=districts_for(request.user)
    ).select_related("village", "transformer_area")


@staff_required
def paper_signing(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    matches = []
    if q:
        matches = _households_for(request).filter(
            Q(customer_number__icontains=q) | Q(head_name__icontains=q) | Q(phone__icontains=q)
        )[:20]
    household = None
    raw = request.POST.get("household") or request.GET.get("household")
    if raw:
        try:
            household = _households_for(request).filter(pk=int(raw)).first()
        except ValueError:
            household = None
        if household is None:
            messages.error(request, _("This household is not in your service grid."))
            return redirect("pledges:paper_signing")
    version = selectors.compact_in_force(village=household.village) if household else None
    form = PaperSigningForm(
        initial={
            "signed_on": timezone.localdate(),
            "signatory": household.head_name if household else "",
        }
    )
    status = 200
    if request.method == "POST":
        _forbid_read_only(request)
        form = PaperSigningForm(request.POST, request.FILES)
        if household is None or version is None:
            messages.error(request, _("No compact is in force for this household's village."))
            return redirect("pledges:paper_signing")
        if form.is_valid():
            data = form.cleaned_data
            pledge_status = household_pledge_status(household=household, user=request.user)
            active = pledge_status["active_pledge"]
            try:
                if pledge_status["renewal_due"] and active and active.version_id == version.pk:
                    # A renewal visit on the same version: the service closes the old pledge.
                    services.pledge_renew(
                        pledge=active,
                        version=version,
                        signatory=data["signatory"],
                        witness=data["witness"],
                        signed_on=data["signed_on"],
                        scan=data["scan"],
                        by=request.user,
                    )
                else:
                    services.pledge_record_paper(
                        household=household,
                        version=version,
                        signatory=data["signatory"],
                        witness=data["witness"],
                        signed_on=data["signed_on"],
                        scan=data["scan"],
                        by=request.user,
                    )
            except (PledgeError, ValidationError) as exc:
                messages.error(request, _error_text(exc))
                status = 400
            else:
                messages.success(
                    request,
                    _("Paper signing recorded for %(household)s.") % {"household": household},
                )
                return redirect(reverse("pledges:paper_signing") + f"?household={household.pk}")
        else:
            status = 400
    return render(
        request,
        "pledges/paper_signing.html",
        _staff_context(
            request,
            q=q,
            matches=matches,
            household=household,
            version=version,
            form=form,
            history=selectors.pledge_history(household=household) if household else [],
        ),
        status=status,
    )


@staff_required
@require_POST
def pledge_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that a household withdrew its pledge; the row stays as history."""
    _forbid_read_only(request)
    pledge = get_object_or_404(selectors.pledges_for(request.user), pk=pk)
    try:
        services.pledge_withdraw(
            pledge=pledge, by=request.user, note=request.POST.get("note", "").strip()
        )
    except (PledgeError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The pledge was withdrawn; it stays in the history."))
    return redirect(reverse("pledges:paper_signing") + f"?household={pledge.household_id}")


@login_required
@require_GET
def pledge_card(request: HttpRequest, pk: int) -> HttpResponse:
    """Printable card: staff for any household of their grids, a villager for their own."""
    user = request.user
    if user.is_villager:
        if user.household_id != pk:
            raise Http404
        household = user.household
    else:
        household = get_object_or_404(_households_for(request), pk=pk)
    status = household_pledge_status(household=household, user=user)
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


@staff_required
@require_GET
def renewal_visits(request: HttpRequest) -> HttpResponse:
    last_visit = HouseholdVisit.objects.filter(household=OuterRef("pk")).order_by("-visited_on")
    due = selectors.households_due_for_renewal(user=request.user).annotate(
        last_visit=Subquery(last_visit.values("visited_on")[:1])
    )
    households = list(
        due.select_related("village").order_by(
            "village__office", "village__name", "due_on", "customer_number"
        )[:LIST_LIMIT]
    )
    total = len(households) if len(households) < LIST_LIMIT else due.count()
    return render(
        request,
        "pledges/renewal_visits.html",
        _staff_context(
            request,
            households=households,
            total=total,
            truncated=total > len(households),
            limit=LIST_LIMIT,
            months=round(getattr(settings, "PLEDGES_RENEWAL_DAYS", 365) / 30.4),
        ),
    )


@staff_required
def visit_new(request: HttpRequest) -> HttpResponse:
    """Record a visit to one household of the user's grid (from the renewal visit list)."""
    try:
        household = (
            _households_for(request)
            .filter(pk=int(request.POST.get("household") or request.GET.get("household") or 0))
            .first()
        )
    except ValueError:
        household = None
    if household is None:
        messages.error(request, _("This household is not in your service grid."))
        return redirect("pledges:renewal_visits")
    form = VisitForm(initial={"visited_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        _forbid_read_only(request)
        form = VisitForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.visit_record(
                    household=household,
                    by=request.user,
                    outcome=data["outcome"],
                    visited_on=data["visited_on"],
                    note=data["note"],
                )
            except PledgeError as exc:
                messages.error(request, _error_text(exc))
                status = 400
            else:
                messages.success(
                    request, _("Visit to %(household)s recorded.") % {"household": household}
                )
                return redirect("pledges:renewal_visits")
        else:
            status = 400
    visits = HouseholdVisit.objects.filter(household=household).select_related("visited_by")
    return render(
        request,
        "pledges/visit_new.html",
        _staff_context(request, household=household, form=form, visits=visits[:20]),
        status=status,
    )


# --- staff: responsibility on the map ----------------------------------------------------


def _assignable_users(district) -> list[tuple[int, str]]:
    qs = User.objects.filter(is_active=True).exclude(role=User.Role.LEADER)
    qs = qs.filter(
        Q(station=district.station) | Q(household__transformer_area__district=district)
    ).order_by("role", "display_name", "username")
    return [(u.pk, f"{u} ({u.get_role_display()})") for u in qs[:300]]


@staff_required
def assign_map(request: HttpRequest) -> HttpResponse:
    districts = districts_for(request.user).order_by("name")
    district = _picked_district(request) or districts.first()
    if district is None:
        raise PermissionDenied(_("No service grid is in your scope."))
    form = AssignmentForm(
        initial={"valid_from": timezone.localdate(), "is_primary": True},
        user_choices=_assignable_users(district),
    )
    status = 200
    if request.method == "POST":
        _forbid_read_only(request)
        form = AssignmentForm(request.POST, user_choices=_assignable_users(district))
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
                        raise PledgeError(
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
            except (PledgeError, ValidationError) as exc:
                messages.error(request, _error_text(exc))
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
        Assignment.objects.filter(district=district, cancelled_at__isnull=True)
        .exclude(scope=Assignment.Scope.FRONT_DOOR)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("segment", "user", "household")
        .order_by("-created_at")[:20]
    )
    return render(
        request,
        "pledges/assign_map.html",
        _staff_context(
            request,
            districts=districts,
            district=district,
            form=form,
            villages=villages,
            recent=recent,
            proposed=proposed[:FRONT_DOOR_LIST_LIMIT],
            proposed_count=proposed.count(),
            front_door_distance_m=f"{getattr(settings, 'PLEDGES_FRONT_DOOR_MAX_DISTANCE_M', 50):g}",
            map_config=_map_config(
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
    _forbid_read_only(request)
    assignment = get_object_or_404(
        selectors.assignments_for(request.user).filter(scope=Assignment.Scope.FRONT_DOOR), pk=pk
    )
    back = reverse("pledges:assign_map") + f"?district={assignment.district_id}"
    try:
        if request.POST.get("action") == "adjust":
            ids = [x for x in request.POST.get("segments", "").split(",") if x.strip()]
            if len(ids) != 1 or not ids[0].isdigit():
                raise PledgeError(_("Select exactly one segment on the map first."))
            segment = selectors.segments_for(request.user).filter(pk=int(ids[0])).first()
            if segment is None:
                raise PledgeError(_("This segment is not in your service grids."))
            services.adjust_front_door(assignment=assignment, segment=segment, by=request.user)
            messages.success(request, _("Front door moved to %(code)s.") % {"code": segment.code})
        else:
            services.confirm_front_door(assignment=assignment, by=request.user)
            messages.success(request, _("Front door confirmed."))
    except (PledgeError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    return redirect(back)


@staff_required
@require_POST
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a patch or segment responsibility (today is its last day); history is kept."""
    _forbid_read_only(request)
    assignment = get_object_or_404(selectors.assignments_for(request.user), pk=pk)
    try:
        services.end_assignment(assignment=assignment, by=request.user)
    except (PledgeError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Responsibility ended; it stays in the history."))
    return redirect(reverse("pledges:assign_map") + f"?district={assignment.district_id}")


@staff_required
@require_POST
def derive_front_doors(request: HttpRequest) -> HttpResponse:
    _forbid_read_only(request)
    try:
        village = Village.objects.get(pk=int(request.POST.get("village", "")))
    except (ValueError, Village.DoesNotExist):
        messages.error(request, _("Choose a village."))
        return redirect("pledges:assign_map")
    try:
        task_id = services.derive_front_doors_async(village=village, by=request.user)
    except (PledgeError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
        return redirect("pledges:assign_map")
    return redirect("pledges:task_progress", task_id=task_id, village=village.pk)


@staff_required
@require_GET
def task_progress(request: HttpRequest, task_id: str, village: int) -> HttpResponse:
    village_obj = get_object_or_404(Village, pk=village)
    return render(
        request,
        "pledges/task_progress.html",
        _staff_context(
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


# --- staff: coverage ---------------------------------------------------------------------


@staff_required
@require_GET
def coverage_map(request: HttpRequest) -> HttpResponse:
    districts = districts_for(request.user).order_by("name")
    district = _picked_district(request)
    query = f"?district={district.pk}" if district else ""
    if district:
        rows = [
            r
            for r in selectors.coverage(level="district", user=request.user)
            if r["id"] == district.pk
        ]
    else:
        rows = selectors.coverage(level="station", user=request.user)
    totals = _rate_row(rows[0]) if len(rows) == 1 else None
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
        _staff_context(
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
            map_config=_map_config(
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
    district = _picked_district(request)
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
                _rate_row(r)
                for r in selectors.coverage(level=level, user=user)
                if keep is None or r["id"] in keep[level]
            ],
        )
        for level, title in levels
    ]
    unsigned_qs = selectors.unsigned_households(user=user, district=district)
    unassigned_qs = selectors.unassigned_segments(user=user, district=district)
    unsigned = list(unsigned_qs[: LIST_LIMIT + 1])
    unassigned = list(unassigned_qs[: LIST_LIMIT + 1])
    return render(
        request,
        "pledges/coverage_tables.html",
        _staff_context(
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


# --- staff: CSV import -------------------------------------------------------------------

CSV_HEADER = ("customer_number", "signed_on", "signatory", "witness")


@staff_required
def import_csv(request: HttpRequest) -> HttpResponse:
    form = CsvImportForm()
    report = None
    status = 200
    if request.method == "POST":
        _forbid_read_only(request)
        form = CsvImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = services.import_pledges_csv(
                    file=form.cleaned_data["file"], by=request.user
                )
            except (PledgeError, ValidationError) as exc:
                messages.error(request, _error_text(exc))
                status = 400
            else:
                if not report.ok:
                    status = 400
                else:
                    messages.success(request, _("%(n)d pledges imported.") % {"n": report.imported})
        else:
            status = 400
    return render(
        request,
        "pledges/import_csv.html",
        _staff_context(request, form=form, report=report),
        status=status,
    )


@staff_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="pledges-import-template.csv"'
    # A BOM so that Excel, which the stations use, opens the UTF-8 names correctly.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    writer.writerow(("4200000001", timezone.localdate().isoformat(), "张三", "李四"))
    return response
