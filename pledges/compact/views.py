"""Pages of the village compact (村规民约): the villager's compact and signing, and for
staff the compacts and their versions, paper signings, renewal visits and the CSV import.

Thin on purpose: every rule is in the services (`services`, `signing`, `visits`), every
scoped read in `selectors`. A view parses the form, calls one service, and turns a domain
error into a translated message; nothing is half-written because the services are atomic.
"""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from houhu.accounts.scopes import districts_for, sees_households
from houhu.grid.models import Village
from houhu.lib.errors import DomainError

from ..web import (
    error_text,
    forbid_read_only,
    staff_context,
    staff_required,
    villager_required,
)
from . import csv_import, selectors, services, signing, visits
from .forms import (
    ClauseForm,
    CompactCreateForm,
    CsvImportForm,
    DraftEditForm,
    PaperSigningForm,
    PublishForm,
    SignForm,
    VisitForm,
)
from .models import Compact, CompactVersion, HouseholdVisit


@villager_required
@require_GET
def my_compact(request: HttpRequest) -> HttpResponse:
    household = request.user.household
    status = selectors.household_pledge_status(household=household, user=request.user)
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
    try:
        # The household is always the villager's own: a household id in the POST is ignored.
        # A renewal (due, or on a newer version) is a signing too: the service closes the
        # old pledge.
        signing.sign(
            signing=form.signing(household=request.user.household, version=version),
            by=request.user,
        )
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Thank you: your household has signed the village compact."))
    return redirect("pledges:my_compact")


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
        staff_context(
            request,
            compacts=_compacts(request),
            create_form=_compact_create_form(request),
        ),
    )


@staff_required
@require_POST
def compact_create(request: HttpRequest) -> HttpResponse:
    forbid_read_only(request)
    form = _compact_create_form(request, request.POST)
    if not form.is_valid():
        return render(
            request,
            "pledges/compact_list.html",
            staff_context(request, compacts=_compacts(request), create_form=form),
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
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
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
            raise DomainError(error_text(ValidationError(list(form.errors.values()))))
        services.version_update(
            version=version,
            change_note=form.cleaned_data["change_note"],
            effective_from=form.cleaned_data["effective_from"],
            by=user,
        )
        return _("Draft saved.")
    form = ClauseForm(request.POST)
    if not form.is_valid():
        raise DomainError(error_text(ValidationError(list(form.errors.values()))))
    data = form.cleaned_data
    if action == "add":
        services.clause_add(
            version=version, kind=data["kind"], text=data["text"], number=data["number"], by=user
        )
        return _("Clause added.")
    clause = version.clauses.filter(pk=data["clause"]).first()
    if clause is None:
        raise DomainError(_("This clause is not part of the draft."))
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
    raise DomainError(_("Unknown action."))


@staff_required
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version_for(request, pk)
    if request.method == "POST":
        forbid_read_only(request)
        try:
            done = _edit_draft(request, version)
        except (DomainError, ValidationError) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, done)
        return redirect("pledges:version_detail", pk=version.pk)
    clauses = list(version.clauses.order_by("number"))
    return render(
        request,
        "pledges/version_detail.html",
        staff_context(
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
    forbid_read_only(request)
    version = _version_for(request, pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date from which the compact is in force."))
        return redirect("pledges:version_detail", pk=pk)
    try:
        services.compact_publish(
            version=version, effective_from=form.cleaned_data["effective_from"], by=request.user
        )
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Published: villagers can now read and sign this version."))
    return redirect("pledges:version_detail", pk=pk)


@staff_required
@require_POST
def compact_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    forbid_read_only(request)
    compact = get_object_or_404(selectors.compacts_for(user=request.user), pk=pk)
    try:
        draft = services.compact_new_version(compact=compact, by=request.user)
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
        return redirect("pledges:compact_list")
    messages.success(request, _("New draft version made from the one in force."))
    return redirect("pledges:version_detail", pk=draft.pk)


def _households_for(request: HttpRequest):
    return selectors.households_for(request.user).select_related("village", "transformer_area")


@staff_required
def paper_signing(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    matches = []
    if q:
        match = Q(customer_number__icontains=q)
        if sees_households(request.user):  # else a name search would confirm a name
            match |= Q(head_name__icontains=q) | Q(phone__icontains=q)
        matches = _households_for(request).filter(match)[:20]
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
            "signatory": household.head_name if household and sees_households(request.user) else "",
        }
    )
    status = 200
    if request.method == "POST":
        forbid_read_only(request)
        form = PaperSigningForm(request.POST, request.FILES)
        if household is None or version is None:
            messages.error(request, _("No compact is in force for this household's village."))
            return redirect("pledges:paper_signing")
        if form.is_valid():
            try:
                # A renewal visit is a signing too: the service closes the old pledge.
                signing.sign(
                    signing=form.signing(household=household, version=version), by=request.user
                )
            except (DomainError, ValidationError) as exc:
                messages.error(request, error_text(exc))
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
        staff_context(
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
    forbid_read_only(request)
    pledge = get_object_or_404(selectors.pledges_for(request.user), pk=pk)
    try:
        signing.pledge_withdraw(
            pledge=pledge, by=request.user, note=request.POST.get("note", "").strip()
        )
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The pledge was withdrawn; it stays in the history."))
    return redirect(reverse("pledges:paper_signing") + f"?household={pledge.household_id}")


@staff_required
@require_GET
def renewal_visits(request: HttpRequest) -> HttpResponse:
    """The renewal visit list, used on a phone during the round: search (name, customer
    number, village), only the households due or all of them, paged; `print=1` lists
    every match on one page for the printed round."""
    query = request.GET.get("q", "").strip()[:50]
    due_only = request.GET.get("due", "1") != "0"
    printing = request.GET.get("print") == "1"
    households = selectors.renewal_visit_list(user=request.user, query=query, due_only=due_only)
    page = None
    if not printing:
        page = Paginator(households, RENEWALS_PER_PAGE).get_page(request.GET.get("page"))
        households = page.object_list
    params = {"q": query, "due": "1" if due_only else "0"}
    return render(
        request,
        "pledges/renewal_visits.html",
        staff_context(
            request,
            households=households,
            page=page,
            total=page.paginator.count if page else len(households),
            query=query,
            due_only=due_only,
            printing=printing,
            params=urlencode({k: v for k, v in params.items() if v}),
            months=round(settings.PLEDGES_RENEWAL_DAYS / 30.4),
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
        forbid_read_only(request)
        form = VisitForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                visits.visit_record(
                    household=household,
                    by=request.user,
                    outcome=data["outcome"],
                    visited_on=data["visited_on"],
                    note=data["note"],
                )
            except DomainError as exc:
                messages.error(request, error_text(exc))
                status = 400
            else:
                messages.success(
                    request, _("Visit to %(household)s recorded.") % {"household": household}
                )
                return redirect("pledges:renewal_visits")
        else:
            status = 400
    earlier = HouseholdVisit.objects.filter(household=household).select_related("visited_by")
    return render(
        request,
        "pledges/visit_new.html",
        staff_context(request, household=household, form=form, visits=earlier[:20]),
        status=status,
    )


# A phone shows this many households per page of the renewal list (one tap each).
RENEWALS_PER_PAGE = 30
CSV_HEADER = ("customer_number", "signed_on", "signatory", "witness")


@staff_required
def import_csv(request: HttpRequest) -> HttpResponse:
    form = CsvImportForm()
    report = None
    status = 200
    if request.method == "POST":
        forbid_read_only(request)
        form = CsvImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = csv_import.import_pledges(file=form.cleaned_data["file"], by=request.user)
            except (DomainError, ValidationError) as exc:
                messages.error(request, error_text(exc))
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
        staff_context(request, form=form, report=report),
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
