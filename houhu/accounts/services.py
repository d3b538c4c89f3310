"""Villager accounts, created and reset by the people who serve them.

There is no SMS gateway: a grid manager (or station staff) creates the account with the
household's phone number as the login and hands over a generated password on the spot;
a forgotten password is reset the same way. Every rule about who may do that lives here.
"""

from __future__ import annotations

import logging
import re
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from houhu.accounts import lockout
from houhu.accounts.models import User
from houhu.accounts.scopes import Can, can, can_act_in_district, can_unlock_login
from houhu.grid.models import Household
from houhu.ledger.actor import acting

logger = logging.getLogger(__name__)

# Mainland mobile numbers are 11 digits; landlines with area code run 10-12. Spaces and
# dashes as people write them on a door are dropped before checking.
PHONE_RE = re.compile(r"^\+?\d{7,15}$")

# Read aloud and typed on a cheap phone by elderly villagers: lowercase letters without
# look-alikes (i, l, o) and digits without 0/1, as "abcd-2345". 23**4 * 8**4 ≈ 1.1e9
# combinations, enough for a temporary password behind the login's rate of guessing.
_LETTERS = "abcdefghjkmnpqrstuvwxyz"
_DIGITS = "23456789"


def generate_password() -> str:
    letters = "".join(secrets.choice(_LETTERS) for _ in range(4))
    digits = "".join(secrets.choice(_DIGITS) for _ in range(4))
    return f"{letters}-{digits}"


def normalise_phone(phone: str) -> str:
    return re.sub(r"[\s\-()]", "", phone or "")


def _check_scope(*, by: User, district_id: int) -> None:
    if not can(by, Can.MANAGE_ACCOUNTS) or not can_act_in_district(by, district_id):
        raise PermissionDenied(_("You may only manage villager accounts of your own grid."))


def create_villager_account(*, household: Household, phone: str, by: User) -> tuple[User, str]:
    """Create the villager account of `household`, logging in with `phone`.

    Returns the account and its generated initial password (shown once, never stored in
    clear). Raises PermissionDenied outside `by`'s grids and ValidationError for a bad or
    already used phone number or a household that already has an account; nothing is
    written then.
    """
    phone = normalise_phone(phone)
    with transaction.atomic():
        # Lock the household: two taps on "create" (or two managers) must not both pass
        # the "no account yet" check below.
        household = (
            Household.objects.select_for_update(of=("self",))
            .select_related("transformer_area")
            .get(pk=household.pk)
        )
        _check_scope(by=by, district_id=household.transformer_area.district_id)
        if not household.is_active:
            raise ValidationError(_("This household is no longer an active customer."))
        if not PHONE_RE.match(phone):
            raise ValidationError(
                {"phone": _("Enter a phone number of 7 to 15 digits, e.g. 13912345678.")}
            )
        if User.objects.filter(household=household).exists():
            raise ValidationError(_("This household already has an account."))
        if User.objects.filter(Q(phone=phone) | Q(username=phone)).exists():
            raise ValidationError({"phone": _("This phone number is already used by an account.")})

        password = generate_password()
        acting(by.pk)  # the ledger's entry for the new account names its maker
        user = User(
            username=phone,
            phone=phone,
            role=User.Role.VILLAGER,
            household=household,
            display_name=household.head_name[:50],
        )
        user.set_password(password)
        user.full_clean()
        try:
            # A savepoint, so a lost race on the unique phone leaves the outer block usable.
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"phone": _("This phone number is already used by an account.")}
            ) from exc
    logger.info("villager account %s created for household %s by %s", user.pk, household.pk, by.pk)
    return user, password


def reset_villager_password(*, user: User, by: User) -> str:
    """Give villager `user` a new temporary password and return it (shown once).

    Their other sessions end (Django ties a session to the password hash), their API
    tokens are revoked, and a log-in lock-out is lifted: the new password starts clean.
    """
    with transaction.atomic():
        user = (
            User.objects.select_for_update(of=("self",))
            .select_related("household__transformer_area")
            .get(pk=user.pk)
        )
        if user.household is None:  # a villager's account is a household's
            # Staff and managers reset their own passwords through an administrator.
            raise PermissionDenied(_("Only villager accounts can be reset here."))
        _check_scope(by=by, district_id=user.household.transformer_area.district_id)
        password = generate_password()
        user.set_password(password)
        user.save(update_fields=["password"])
        revoke_api_tokens(user=user)
        lockout.unlock(user.username)
    logger.info("villager account %s password reset by %s", user.pk, by.pk)
    return password


def revoke_api_tokens(*, user: User) -> int:
    """A changed password must also end API access given with the old one."""
    from rest_framework.authtoken.models import Token

    deleted, _rows = Token.objects.filter(user=user).delete()
    return deleted


def unlock_login(*, account: User, by: User) -> int:
    """Lift `account`'s log-in lock-out from every address (houhu.accounts.lockout).

    A grid manager may do it for a villager of their grid, staff for anyone of their
    station (houhu.accounts.scopes.can_unlock_login). Returns the attempts forgotten.
    """
    if not can_unlock_login(by, account):
        raise PermissionDenied(_("You may not unlock this account."))
    forgotten = lockout.unlock(account.username)
    logger.info("log-in lock-out of account %s lifted by %s", account.pk, by.pk)
    return forgotten
