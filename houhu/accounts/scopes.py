"""Who may read and who may act on what: the one module that decides, for every app.

Two questions, answered here and nowhere else (views, APIs, services, selectors and
templates ask; none decides by a role of its own):

1. **What may this role do at all?** `ROLE_CAPABILITIES` is one table, role by role, like
   the workflow table of patrols/workflow.py; `can(user, Can.X)` reads it. "County leaders
   only read" is that table's leader row: it holds no capability that writes, and
   `is_read_only` is derived from it.
2. **May this user read / act on this object?** `district_access`, `household_access`,
   `authored_access` and `station_access` answer read and write together as an `Access`
   (as healthchecks' `_get_rw_check_for_user` returns the check and `rw`). Their queryset
   forms (`districts_for`, `household_filter`, `authored_filter`) scope every list.
3. **Whose names and phones may this user see?** `PERSONAL_DATA` is one table, role by
   role and kind of person (need to know); serializers, layers and pages ask
   `personal_data`, `shown_name`/`shown_phone`, `name_sql`/`phone_sql` or `sees_households`.
   docs/security.md ("Who sees which personal data") is written from it (a test compares).

Scopes by role:
- villager: their own household (and its district, to read the grid's map);
- grid manager: the districts they manage;
- station staff / admin: every district of their station (all stations if none is set);
- county leader: every district of their county, read-only.
A superuser is an administrator who also reads the county's figures.

The apps hand in plain facts of their objects (a district id, an author id, a household),
so this module imports no app above accounts and grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet, TextField, Value

from houhu.accounts.models import User
from houhu.lib.masking import mask_name, masked_name_sql

if TYPE_CHECKING:
    from houhu.grid.models import District, Household

Role = User.Role


class Can(StrEnum):
    """Capabilities: what a role may do anywhere in its scope."""

    VILLAGER_PAGES = "villager_pages"  # the phone pages of one's own household
    STAFF_PAGES = "staff_pages"  # workspace, station map, compact pages (leaders read them)
    ACT_IN_DISTRICTS = "act_in_districts"  # change records in the districts in scope
    FILE_REPORTS = "file_reports"  # write patrol reports (villagers and staff alike)
    SIGN_FOR_HOUSEHOLD = "sign_for_household"  # sign, renew, withdraw one's household's pledge
    RECORD_VISITS = "record_visits"  # record visits to the households in scope
    MANAGE_ACCOUNTS = "manage_accounts"  # villager accounts of the districts in scope
    EDIT_COMPACTS = "edit_compacts"  # write, publish (and read drafts of) the station's compacts
    HOLD_RESPONSIBILITY = "hold_responsibility"  # be given a patch or a segment
    READ_STATS = "read_stats"  # the compliance dashboard, its API and exports
    READ_COUNTY = "read_county"  # county-wide figures (above one station)
    SEE_WHOLE_STATION = "see_whole_station"  # every line and village of the station


_GRID_WORK = frozenset(
    {
        Can.STAFF_PAGES,
        Can.ACT_IN_DISTRICTS,
        Can.FILE_REPORTS,
        Can.RECORD_VISITS,
        Can.MANAGE_ACCOUNTS,
        Can.HOLD_RESPONSIBILITY,
    }
)
_STATION_WORK = _GRID_WORK | {Can.EDIT_COMPACTS, Can.READ_STATS, Can.SEE_WHOLE_STATION}

ROLE_CAPABILITIES: dict[str, frozenset[Can]] = {
    Role.VILLAGER: frozenset(
        {
            Can.VILLAGER_PAGES,
            Can.FILE_REPORTS,
            Can.SIGN_FOR_HOUSEHOLD,
            Can.HOLD_RESPONSIBILITY,
        }
    ),
    Role.GRID_MANAGER: _GRID_WORK,
    Role.STAFF: _STATION_WORK,
    Role.ADMIN: _STATION_WORK,
    # County leaders read the statistics and the pages, never write (and see no one's
    # personal data: PERSONAL_DATA below).
    Role.LEADER: frozenset(
        {Can.STAFF_PAGES, Can.READ_STATS, Can.READ_COUNTY, Can.SEE_WHOLE_STATION}
    ),
}
# A superuser: an administrator who also reads the whole county.
SUPERUSER = ROLE_CAPABILITIES[Role.ADMIN] | {Can.READ_COUNTY}
# Capabilities that change the ledger: a role with none of them only reads.
WRITES = frozenset(
    {
        Can.ACT_IN_DISTRICTS,
        Can.FILE_REPORTS,
        Can.SIGN_FOR_HOUSEHOLD,
        Can.RECORD_VISITS,
        Can.MANAGE_ACCOUNTS,
        Can.EDIT_COMPACTS,
    }
)


def capabilities(user) -> frozenset[Can]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.is_superuser:
        return SUPERUSER
    return ROLE_CAPABILITIES.get(user.role, frozenset())


def can(user, capability: Can | str) -> bool:
    """May this user do this anywhere in their scope? (The object questions are below.)"""
    return Can(capability) in capabilities(user)


def is_read_only(user) -> bool:
    """A signed-in user who may change nothing: the county leader's row of the table."""
    return getattr(user, "is_authenticated", False) and not capabilities(user) & WRITES


# --- what a user reads ------------------------------------------------------------------


def districts_for(user: User) -> QuerySet[District]:
    """The districts whose records the user may read."""
    from houhu.grid.models import District

    qs = District.objects.all()
    if not user.is_authenticated:
        return qs.none()
    role = Role.ADMIN if user.is_superuser else user.role
    # By the ids the user row holds: `user.station` would load the station (a query on
    # every request that asks, e.g. each map tile).
    if role in (Role.ADMIN, Role.STAFF):
        return qs.filter(station_id=user.station_id) if user.station_id else qs
    if role == Role.LEADER:
        return qs.filter(station__county_id=user.county_id) if user.county_id else qs
    if role == Role.GRID_MANAGER:
        return qs.filter(manager=user)
    if role == Role.VILLAGER and user.household_id:
        return qs.filter(transformer_areas__households=user.household_id)
    return qs.none()


def household_filter(user: User, prefix: str = "") -> Q:
    """Households (at `prefix`, e.g. "household__") the user may read: a villager only their
    own; everyone else those of the districts they read."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if can(user, Can.VILLAGER_PAGES):
        return Q(**{f"{prefix}pk": user.household_id})
    return Q(**{f"{prefix}transformer_area__district__in": districts_for(user)})


def authored_filter(user: User, *, district: str = "district", author: str = "author") -> Q:
    """Records written by someone in a district (patrol reports): a villager reads their
    own; everyone else those of the districts they read, and their own wherever written."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if can(user, Can.VILLAGER_PAGES):
        return Q(**{author: user})
    return Q(**{f"{district}__in": districts_for(user)}) | Q(**{author: user})


# --- may this user read / act on this object ----------------------------------------------


@dataclass(frozen=True)
class Access:
    """What a user may do with one object: read it, and change it ("act")."""

    read: bool = False
    write: bool = False

    def __bool__(self) -> bool:
        return self.read


NONE = Access()


def can_act_in_district(user: User, district_id: int | None) -> bool:
    """May this user change records in the district? (No query for a role that never may.)"""
    if district_id is None or not can(user, Can.ACT_IN_DISTRICTS):
        return False
    return districts_for(user).filter(pk=district_id).exists()


def district_access(user: User, district_id: int | None) -> Access:
    if district_id is None or not user.is_authenticated:
        return NONE
    read = districts_for(user).filter(pk=district_id).exists()
    return Access(read=read, write=read and can(user, Can.ACT_IN_DISTRICTS))


def household_access(user: User, household: Household) -> Access:
    """A villager reads and acts for their own household (signs, withdraws); grid staff
    read and act in their districts; leaders read."""
    if not user.is_authenticated:
        return NONE
    if can(user, Can.VILLAGER_PAGES):
        own = user.household_id == household.pk
        return Access(read=own, write=own and can(user, Can.SIGN_FOR_HOUSEHOLD))
    return district_access(user, household.transformer_area.district_id)


def household_accesses(user: User, households) -> dict[int, Access]:
    """`household_access` for many households at once (one query): a bulk import asks the
    same question as the page, row by row."""
    if not user.is_authenticated:
        return {h.pk: NONE for h in households}
    if can(user, Can.VILLAGER_PAGES):
        return {h.pk: household_access(user, h) for h in households}
    readable = set(districts_for(user).values_list("pk", flat=True))
    acts = can(user, Can.ACT_IN_DISTRICTS)
    return {
        h.pk: Access(read=d in readable, write=acts and d in readable)
        for h in households
        for d in [h.transformer_area.district_id]
    }


def authored_access(user: User, *, district_id: int | None, author_id: int | None) -> Access:
    """A record written by someone in a district (a patrol report): its author reads it;
    the people of its district read it and, if they act there, act on it. Whether the
    author may take a step of its workflow is the workflow's table (patrols/workflow.py)."""
    if not user.is_authenticated:
        return NONE
    own = author_id is not None and author_id == user.pk
    if can(user, Can.VILLAGER_PAGES):
        return Access(read=own)
    access = district_access(user, district_id)
    return Access(read=access.read or own, write=access.write)


def station_access(user: User, station_id: int) -> Access:
    """The station's own records (its compacts): read by those who read one of its
    districts; written by its staff (staff without a station serve the whole county)."""
    if not user.is_authenticated:
        return NONE
    read = districts_for(user).filter(station_id=station_id).exists()
    return Access(read=read, write=can_edit_compacts_of(user, station_id))


def can_edit_compacts_of(user: User, station_id: int) -> bool:
    """The write half of `station_access`, without its query: may this user write this
    station's compacts?"""
    return can(user, Can.EDIT_COMPACTS) and user.station_id in (None, station_id)


def roles_with(capability: Can | str) -> list[str]:
    """The roles holding a capability (to filter accounts by what they may do)."""
    return [role for role, caps in ROLE_CAPABILITIES.items() if Can(capability) in caps]


def accounts_unlockable_by(user: User) -> QuerySet[User]:
    """Whose log-in lock-out this user may lift: a grid manager the villagers of their
    grids; station staff and admins every account of their station (villagers of its
    grids, its managers and staff) except superusers; a superuser everyone. Nobody else,
    nobody themselves (a locked-out user is not signed in anyway)."""
    if not user.is_authenticated:
        return User.objects.none()
    qs = User.objects.exclude(pk=user.pk)
    if user.is_superuser:
        return qs
    if not can(user, Can.MANAGE_ACCOUNTS):
        return qs.none()
    qs = qs.exclude(is_superuser=True)
    # A villager's account is the one tied to a household.
    villagers_in_scope = Q(household__transformer_area__district__in=districts_for(user))
    if not can(user, Can.SEE_WHOLE_STATION):  # grid managers
        return qs.filter(villagers_in_scope)
    if not user.station_id:
        return qs
    return qs.filter(villagers_in_scope | Q(station=user.station_id))


def told_of_new_reports(district: District) -> QuerySet[User]:
    """Who is told of a new report in a district: its grid manager and the staff of its
    station (active accounts). Staff without a station serve the whole county and would be
    told of everything: they read the work queue instead."""
    people = Q(pk=district.manager_id) if district.manager_id else Q(pk__in=[])
    people |= Q(role=Role.STAFF, station_id=district.station_id)
    return User.objects.filter(people, is_active=True)


def can_unlock_login(user: User, account: User) -> bool:
    return accounts_unlockable_by(user).filter(pk=account.pk).exists()


def may_hold_responsibility(person: User, station_id: int) -> bool:
    """May this person be given a patch or a segment of this station? Its staff, or a
    villager of one of its households; a leader or another station's staff may not."""
    if not can(person, Can.HOLD_RESPONSIBILITY):
        return False
    if can(person, Can.VILLAGER_PAGES):
        from houhu.grid.models import Household

        return Household.objects.filter(
            pk=person.household_id, village__station_id=station_id
        ).exists()
    return person.station_id in (None, station_id)


# --- whose personal data a user sees (need to know) ------------------------------------


class Whose(StrEnum):
    """Kinds of people whose names and phone numbers the ledger holds."""

    OWN = "own"  # the reader's own household and account
    HOUSEHOLDS = "households"  # other households: heads, phones, addresses, signatories, villagers
    RESPONSIBLE = "responsible"  # who holds a patch, segment or front door (responsibility map)
    REPORT_CONTACTS = "report_contacts"  # a report's `responsibles`: whom to call about it
    GRID_MANAGER = "grid_manager"  # the grid manager's name and posted phone
    STAFF = "staff"  # station staff and grid managers as actors (events, visits)
    PHOTOS = "photos"  # report photos (people, houses, number plates) of the reports one reads


class Shown(StrEnum):
    FULL = "full"  # name and phone
    MASKED = "masked"  # the name masked (张**), no phone
    NOTHING = "nothing"  # neither


_ALL = dict.fromkeys(Whose, Shown.FULL)

# The one table of personal data. A villager needs their own household, whom to call (the
# grid manager) and that a segment near them has someone answering for it, not who their
# neighbours are; a county leader needs figures, not people (no names or phones of
# households or villagers, anywhere). Grid managers and station staff work with people.
PERSONAL_DATA: dict[str, dict[Whose, Shown]] = {
    Role.VILLAGER: {
        Whose.OWN: Shown.FULL,
        Whose.HOUSEHOLDS: Shown.NOTHING,
        Whose.RESPONSIBLE: Shown.MASKED,
        Whose.REPORT_CONTACTS: Shown.NOTHING,
        Whose.GRID_MANAGER: Shown.FULL,
        Whose.STAFF: Shown.FULL,
        Whose.PHOTOS: Shown.FULL,  # of their own reports: the only ones they read
    },
    Role.GRID_MANAGER: _ALL,
    Role.STAFF: _ALL,
    Role.ADMIN: _ALL,
    Role.LEADER: {
        Whose.OWN: Shown.FULL,
        Whose.HOUSEHOLDS: Shown.NOTHING,
        Whose.RESPONSIBLE: Shown.NOTHING,
        Whose.REPORT_CONTACTS: Shown.NOTHING,
        Whose.GRID_MANAGER: Shown.FULL,
        Whose.STAFF: Shown.FULL,
        Whose.PHOTOS: Shown.NOTHING,
    },
}


def personal_data(user, whose: Whose) -> Shown:
    if not getattr(user, "is_authenticated", False):
        return Shown.NOTHING
    role = Role.ADMIN if user.is_superuser else user.role
    return PERSONAL_DATA.get(role, {}).get(whose, Shown.NOTHING)


def personal_data_row(user) -> tuple[str, ...]:
    """What this user is shown of every kind of personal data, in `Whose` order: part of
    every cache key of an answer that may carry names (tiles, cached layers), so that an
    answer is shared only between readers who see the same."""
    return tuple(personal_data(user, whose).value for whose in Whose)


def sees(user, whose: Whose) -> bool:
    """Does this user see this kind of personal data in full (names, phones, files)?"""
    return personal_data(user, whose) is Shown.FULL


def shown_name(user, whose: Whose, name: str | None) -> str | None:
    """The name as this user may see it: whole, masked, or None."""
    shown = personal_data(user, whose)
    if shown is Shown.FULL:
        return name
    return mask_name(name) if shown is Shown.MASKED else None


def shown_phone(user, whose: Whose, phone: str | None) -> str | None:
    return phone if personal_data(user, whose) is Shown.FULL else None


def name_sql(user, whose: Whose, expression):
    """`shown_name` for a layer built in SQL."""
    shown = personal_data(user, whose)
    if shown is Shown.FULL:
        return expression
    if shown is Shown.MASKED:
        return masked_name_sql(expression)
    return Value(None, output_field=TextField())


def phone_sql(user, whose: Whose, expression):
    if personal_data(user, whose) is Shown.FULL:
        return expression
    return Value(None, output_field=TextField())


def whose_household(user, household_id: int | None) -> Whose:
    own = household_id is not None and household_id == getattr(user, "household_id", None)
    return Whose.OWN if own else Whose.HOUSEHOLDS


def whose_account(user, person) -> Whose:
    """A user account as a person: the reader, a villager (an account tied to a household),
    or station staff."""
    if person is None or person.pk == getattr(user, "pk", None):
        return Whose.OWN
    return Whose.HOUSEHOLDS if person.household_id else Whose.STAFF


def sees_households(user) -> bool:
    """Does this user see the names and phones of the households they may read? A villager
    reads only their own (`household_filter`), so the question is theirs about OWN."""
    whose = Whose.OWN if can(user, Can.VILLAGER_PAGES) else Whose.HOUSEHOLDS
    return personal_data(user, whose) is Shown.FULL
