"""Log-in, each role's home page, and villager account management by grid managers."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from houhu.accounts import selectors, services
from houhu.accounts.forms import HouseholdSearchForm, VillagerAccountForm
from houhu.accounts.models import User
from houhu.accounts.scopes import can_act_in_district
from houhu.grid.models import Household

# Each app may contribute a card to the villager's home page by shipping one of these
# templates; the home page shows those that exist, so apps stay independent.
VILLAGER_CARDS = ("patrols/villager_card.html", "pledges/villager_card.html")

# The one-time password travels from the POST to the page that shows it in the session,
# never in the URL: a reload of that page cannot show it again, and the POST is not
# repeated (post/redirect/get), so a second tap does not create a second account.
ISSUED_KEY = "accounts.issued_password"

HOUSEHOLDS_PER_PAGE = 25


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
        household = (
            Household.objects.select_related("village", "transformer_area__district__manager").get(
                pk=user.household_id
            )
            if user.household_id
            else None
        )
        district = household.transformer_area.district if household else None
        return render(
            request,
            "accounts/villager_home.html",
            {
                "household": household,
                "district": district,
                "cards": _existing_templates(VILLAGER_CARDS),
            },
        )
    if user.is_leader:
        return redirect(_first_url("stats:dashboard"))
    return redirect(_first_url("patrols:workspace"))


def account_managers_only(view):
    """Grid managers (their grids) and station staff (their station); 403 for others."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not (user.is_superuser or user.is_grid_manager or user.is_station_staff):
            raise PermissionDenied(_("Only grid managers and station staff manage accounts."))
        return view(request, *args, **kwargs)

    return wrapper


@account_managers_only
def villager_list(request: HttpRequest) -> HttpResponse:
    form = HouseholdSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    households = selectors.households_with_accounts(user=request.user, query=query)
    page = Paginator(households, HOUSEHOLDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/villager_list.html",
        {
            "form": form,
            "query": query,
            "page": page,
            "locked_out": selectors.locked_out_accounts(user=request.user),
        },
    )


@account_managers_only
@require_http_methods(["POST"])
def login_unlock(request: HttpRequest, user_pk: int) -> HttpResponse:
    """Lift a log-in lock-out (houhu.accounts.lockout), from the villager accounts page."""
    account = get_object_or_404(User, pk=user_pk)
    services.unlock_login(account=account, by=request.user)
    messages.success(request, _("%(account)s can log in again.") % {"account": account.username})
    return redirect("accounts:villagers")


def _household_in_scope(request: HttpRequest, pk: int) -> Household:
    household = get_object_or_404(Household.objects.select_related("transformer_area"), pk=pk)
    if not can_act_in_district(request.user, household.transformer_area.district_id):
        raise PermissionDenied(_("You may only manage villager accounts of your own grid."))
    return household


@account_managers_only
@require_http_methods(["GET", "POST"])
def villager_create(request: HttpRequest, household_pk: int) -> HttpResponse:
    household = _household_in_scope(request, household_pk)
    existing = User.objects.filter(household=household).first()
    if existing is not None and request.method == "GET":
        messages.warning(request, _("This household already has an account."))
        return redirect(f"{reverse('accounts:villagers')}?q={household.customer_number}")
    form = VillagerAccountForm(request.POST or None, initial={"phone": household.phone})
    if request.method == "POST" and form.is_valid():
        try:
            account, password = services.create_villager_account(
                household=household, phone=form.cleaned_data["phone"], by=request.user
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            request.session[ISSUED_KEY] = {
                "user": account.pk,
                "password": password,
                "created": True,
            }
            return redirect("accounts:villager_issued", user_pk=account.pk)
    return render(request, "accounts/villager_create.html", {"household": household, "form": form})


@account_managers_only
@require_http_methods(["GET", "POST"])
def villager_reset(request: HttpRequest, user_pk: int) -> HttpResponse:
    account = get_object_or_404(
        User.objects.select_related("household__transformer_area"),
        pk=user_pk,
        role=User.Role.VILLAGER,
    )
    if not can_act_in_district(request.user, account.household.transformer_area.district_id):
        raise PermissionDenied(_("You may only manage villager accounts of your own grid."))
    if request.method == "POST":
        password = services.reset_villager_password(user=account, by=request.user)
        request.session[ISSUED_KEY] = {"user": account.pk, "password": password, "created": False}
        return redirect("accounts:villager_issued", user_pk=account.pk)
    return render(request, "accounts/villager_reset.html", {"account": account})


@account_managers_only
def villager_issued(request: HttpRequest, user_pk: int) -> HttpResponse:
    account = get_object_or_404(
        User.objects.select_related("household__village", "household__transformer_area"),
        pk=user_pk,
        role=User.Role.VILLAGER,
    )
    if not can_act_in_district(request.user, account.household.transformer_area.district_id):
        raise PermissionDenied(_("You may only manage villager accounts of your own grid."))
    issued = request.session.get(ISSUED_KEY)
    password = None
    created = False
    if issued and issued.get("user") == account.pk:
        # Shown once: the next visit to this page finds nothing.
        del request.session[ISSUED_KEY]
        password = issued["password"]
        created = issued.get("created", False)
    response = render(
        request,
        "accounts/villager_issued.html",
        {"account": account, "password": password, "created": created},
    )
    # The password must not be kept by the browser's or a proxy's cache.
    response["Cache-Control"] = "no-store"
    return response


class PasswordChange(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Anyone may change their own password: a villager replaces the one the grid manager
    wrote down for them. (Their other sessions end; Django's view keeps this one.)"""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("accounts:home")
    success_message = gettext_lazy("Your password has been changed.")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.revoke_api_tokens(user=form.user)
        return response
