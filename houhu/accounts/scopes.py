"""Which part of the station a user may see or act on: the one place for that rule.

- villager: their own household (and its district for reading the map)
- grid manager: the districts they manage
- station staff / admin: every district of their station (all stations if none is set)
- county leader: every district of their county, read-only
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

if TYPE_CHECKING:
    from houhu.accounts.models import User
    from houhu.grid.models import District


def districts_for(user: User) -> QuerySet[District]:
    from houhu.grid.models import District

    qs = District.objects.all()
    if not user.is_authenticated:
        return qs.none()
    role = user.role
    if user.is_superuser or role == user.Role.ADMIN:
        return qs.filter(station=user.station) if user.station_id else qs
    if role == user.Role.STAFF:
        return qs.filter(station=user.station) if user.station_id else qs
    if role == user.Role.LEADER:
        return qs.filter(station__county=user.county) if user.county_id else qs
    if role == user.Role.GRID_MANAGER:
        return qs.filter(manager=user)
    if role == user.Role.VILLAGER and user.household_id:
        return qs.filter(transformer_areas__households=user.household_id)
    return qs.none()


def can_act_in_district(user: User, district_id: int) -> bool:
    """May this user change records in the district? Leaders and villagers never manage."""
    if not user.is_authenticated or user.role in (user.Role.LEADER, user.Role.VILLAGER):
        return False
    return districts_for(user).filter(pk=district_id).exists()


def is_read_only(user: User) -> bool:
    return user.role == user.Role.LEADER


def accounts_unlockable_by(user: User) -> QuerySet[User]:
    """Whose log-in lock-out this user may lift: a grid manager the villagers of their
    grids; station staff and admins every account of their station (villagers of its
    grids, its managers and staff) except superusers; a superuser everyone. Nobody else,
    nobody themselves (a locked-out user is not signed in anyway)."""
    from houhu.accounts.models import User as UserModel

    if not user.is_authenticated:
        return UserModel.objects.none()
    qs = UserModel.objects.exclude(pk=user.pk)
    if user.is_superuser:
        return qs
    qs = qs.exclude(is_superuser=True)
    villagers_in_scope = Q(
        role=UserModel.Role.VILLAGER,
        household__transformer_area__district__in=districts_for(user),
    )
    if user.role == user.Role.GRID_MANAGER:
        return qs.filter(villagers_in_scope)
    if user.role in (user.Role.STAFF, user.Role.ADMIN):
        if not user.station_id:
            return qs
        return qs.filter(villagers_in_scope | Q(station=user.station_id))
    return qs.none()


def can_unlock_login(user: User, account: User) -> bool:
    return accounts_unlockable_by(user).filter(pk=account.pk).exists()
