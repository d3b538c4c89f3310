"""Which part of the station a user may see or act on: the one place for that rule.

- villager: their own household (and its district for reading the map)
- grid manager: the districts they manage
- station staff / admin: every district of their station (all stations if none is set)
- county leader: every district of their county, read-only
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

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
