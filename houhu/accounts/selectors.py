"""Reads for the account pages, scoped through `houhu.accounts.scopes`."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from houhu.accounts.lockout import locked_usernames
from houhu.accounts.models import User
from houhu.accounts.scopes import accounts_unlockable_by, districts_for
from houhu.grid.models import Household


def households_with_accounts(*, user: User, query: str = "") -> QuerySet[Household]:
    """Households of `user`'s grids, each annotated with its villager account (if any).

    `query` matches the customer number, the head's name, the household's phone or the
    account's login phone (partial, case-insensitive).
    """
    accounts = User.objects.filter(household=OuterRef("pk"), role=User.Role.VILLAGER)
    qs = (
        Household.objects.filter(transformer_area__district__in=districts_for(user))
        .select_related("village", "transformer_area__district")
        .annotate(
            account_id=Subquery(accounts.values("pk")[:1]),
            account_login=Subquery(accounts.values("username")[:1]),
            account_last_login=Subquery(accounts.values("last_login")[:1]),
        )
        .order_by("customer_number")
    )
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(customer_number__icontains=query)
            | Q(head_name__icontains=query)
            | Q(phone__icontains=query)
            | Q(accounts__phone__icontains=query)
        ).distinct()
    return qs


def locked_out_accounts(*, user: User) -> QuerySet[User]:
    """Accounts this user may unlock that are locked out of logging in right now."""
    locked = locked_usernames()
    if not locked:
        return User.objects.none()
    return (
        accounts_unlockable_by(user)
        .filter(username__in=locked)
        .select_related("household__village")
        .order_by("username")
    )
