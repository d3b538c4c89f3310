"""The one permissions module (houhu.accounts.scopes): a table of capabilities per role,
and read/write answered together per object. Every role's answers are the ones the apps
gave before they asked this module; "county leaders only read" is one row of the table."""

from __future__ import annotations

import pytest

from houhu.accounts import scopes
from houhu.accounts.models import User
from houhu.accounts.scopes import WRITES, Access, Can
from tests.factories import StationFactory, UserFactory, villager_for
from tests.pledges.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


def people(w):
    return {
        "villager": villager_for(w.h1),
        "manager": w.m1,
        "staff": w.staff,
        "admin": UserFactory(role=User.Role.ADMIN, station=w.station),
        "leader": w.leader,
    }


def test_every_role_has_a_row_and_the_leaders_row_writes_nothing():
    assert set(scopes.ROLE_CAPABILITIES) == set(User.Role.values)
    assert not scopes.ROLE_CAPABILITIES[User.Role.LEADER] & WRITES
    for role in set(User.Role.values) - {User.Role.LEADER}:
        assert scopes.ROLE_CAPABILITIES[role] & WRITES, role


def test_read_only_is_derived_from_the_table(world):
    p = people(world)
    assert [name for name, user in p.items() if scopes.is_read_only(user)] == ["leader"]


@pytest.mark.parametrize(
    ("capability", "holders"),
    [
        (Can.VILLAGER_PAGES, {"villager"}),
        (Can.STAFF_PAGES, {"manager", "staff", "admin", "leader"}),
        (Can.ACT_IN_DISTRICTS, {"manager", "staff", "admin"}),
        (Can.FILE_REPORTS, {"villager", "manager", "staff", "admin"}),
        (Can.SIGN_FOR_HOUSEHOLD, {"villager"}),
        (Can.RECORD_VISITS, {"manager", "staff", "admin"}),
        (Can.MANAGE_ACCOUNTS, {"manager", "staff", "admin"}),
        (Can.EDIT_COMPACTS, {"staff", "admin"}),
        (Can.HOLD_RESPONSIBILITY, {"villager", "manager", "staff", "admin"}),
        (Can.READ_STATS, {"staff", "admin", "leader"}),
        (Can.READ_COUNTY, {"leader"}),
        (Can.SEE_WHOLE_STATION, {"staff", "admin", "leader"}),
    ],
)
def test_who_holds_each_capability(world, capability, holders):
    assert {name for name, user in people(world).items() if scopes.can(user, capability)} == holders


def test_a_superuser_is_an_administrator_who_also_reads_the_county(world):
    root = UserFactory(role=User.Role.ADMIN, is_superuser=True, is_staff=True)
    assert scopes.can(root, Can.READ_COUNTY) and scopes.can(root, Can.EDIT_COMPACTS)
    assert not scopes.can(root, Can.VILLAGER_PAGES)


def test_district_access_reads_and_writes_together(world):
    p = people(world)
    d1 = world.d1.pk
    assert scopes.district_access(p["manager"], d1) == Access(read=True, write=True)
    assert scopes.district_access(p["manager"], world.d2.pk) == Access(read=False, write=False)
    assert scopes.district_access(p["staff"], d1) == Access(read=True, write=True)
    assert scopes.district_access(p["leader"], d1) == Access(read=True, write=False)
    assert scopes.district_access(p["villager"], d1) == Access(read=True, write=False)


def test_household_access_is_the_villagers_own_or_the_districts(world):
    p = people(world)
    assert scopes.household_access(p["villager"], world.h1) == Access(read=True, write=True)
    assert scopes.household_access(p["villager"], world.h2) == Access(read=False, write=False)
    assert scopes.household_access(p["manager"], world.h1) == Access(read=True, write=True)
    assert scopes.household_access(p["manager"], world.h4) == Access(read=False, write=False)
    assert scopes.household_access(p["leader"], world.h4) == Access(read=True, write=False)
    many = scopes.household_accesses(p["manager"], [world.h1, world.h4])
    assert many == {world.h1.pk: Access(True, True), world.h4.pk: Access(False, False)}


def test_authored_records_are_read_by_their_author_and_their_district(world):
    p = people(world)
    mine = {"district_id": world.d2.pk, "author_id": p["villager"].pk}
    assert scopes.authored_access(p["villager"], **mine) == Access(read=True, write=False)
    other = {"district_id": world.d1.pk, "author_id": p["staff"].pk}
    assert scopes.authored_access(p["villager"], **other) == Access(read=False, write=False)
    assert scopes.authored_access(p["manager"], **other) == Access(read=True, write=True)
    assert scopes.authored_access(p["manager"], **mine) == Access(read=False, write=False)
    assert scopes.authored_access(p["leader"], **other) == Access(read=True, write=False)


def test_station_records_are_written_by_that_stations_staff(world):
    p = people(world)
    assert scopes.station_access(p["staff"], world.station.pk) == Access(read=True, write=True)
    assert scopes.station_access(p["manager"], world.station.pk) == Access(read=True, write=False)
    assert scopes.station_access(p["leader"], world.station.pk) == Access(read=True, write=False)
    elsewhere = UserFactory(role=User.Role.STAFF, station=StationFactory())
    assert not scopes.station_access(elsewhere, world.station.pk).write


def test_who_may_hold_a_line(world):
    p = people(world)
    station = world.station.pk
    assert scopes.may_hold_responsibility(p["villager"], station)
    assert scopes.may_hold_responsibility(p["manager"], station)
    assert not scopes.may_hold_responsibility(p["leader"], station)
    other_station = UserFactory(role=User.Role.STAFF, station=StationFactory())
    assert not scopes.may_hold_responsibility(other_station, station)


def test_every_role_has_a_personal_data_row_naming_every_kind_of_person():
    assert set(scopes.PERSONAL_DATA) == set(User.Role.values)
    for role, row in scopes.PERSONAL_DATA.items():
        assert set(row) == set(scopes.Whose), role


def test_households_names_are_seen_by_grid_staff_and_each_villager_for_their_own(world):
    p = people(world)
    assert {n for n, u in p.items() if scopes.sees_households(u)} == {
        "villager", "manager", "staff", "admin"
    }  # fmt: skip
    v, leader = p["villager"], p["leader"]
    assert scopes.whose_household(v, world.h1.pk) is scopes.Whose.OWN
    assert scopes.whose_household(v, world.h2.pk) is scopes.Whose.HOUSEHOLDS
    assert scopes.shown_name(v, scopes.Whose.HOUSEHOLDS, "张三丰") is None
    assert scopes.shown_name(v, scopes.Whose.RESPONSIBLE, "张三丰") == "张**"
    assert scopes.shown_phone(v, scopes.Whose.RESPONSIBLE, "13900000001") is None
    assert scopes.shown_phone(v, scopes.Whose.GRID_MANAGER, "13900000001") == "13900000001"
    assert scopes.shown_name(leader, scopes.Whose.RESPONSIBLE, "张三丰") is None
    assert scopes.shown_name(p["manager"], scopes.Whose.REPORT_CONTACTS, "张三丰") == "张三丰"
