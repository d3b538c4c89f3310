"""create_villager_account / reset_villager_password: scope, duplicates, one-time passwords.
Every refusal is checked to leave the database as it was."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from houhu.accounts.models import User
from houhu.accounts.services import (
    create_villager_account,
    generate_password,
    reset_villager_password,
)
from tests.factories import (
    DistrictFactory,
    HouseholdFactory,
    TransformerAreaFactory,
    UserFactory,
    manager_of,
    villager_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid():
    """Two grids of one station, a manager for each, one household in each."""
    d1 = DistrictFactory()
    d2 = DistrictFactory(station=d1.station)
    h1 = HouseholdFactory(transformer_area=TransformerAreaFactory(district=d1))
    h2 = HouseholdFactory(transformer_area=TransformerAreaFactory(district=d2))
    return {
        "d1": d1,
        "d2": d2,
        "h1": h1,
        "h2": h2,
        "m1": manager_of(d1),
        "m2": manager_of(d2),
        "staff": UserFactory(role=User.Role.STAFF, station=d1.station),
    }


def snapshot() -> list[tuple]:
    return list(User.objects.order_by("pk").values_list("pk", "username", "phone", "password"))


def test_manager_creates_account_for_household_in_own_grid(grid):
    user, password = create_villager_account(
        household=grid["h1"], phone="139 1234-5678", by=grid["m1"]
    )
    user.refresh_from_db()
    assert user.role == User.Role.VILLAGER
    assert user.household == grid["h1"]
    assert user.username == user.phone == "13912345678"
    assert user.display_name == grid["h1"].head_name
    assert user.check_password(password)
    assert password not in user.password  # stored hashed, never in clear


def test_station_staff_creates_account_in_any_grid_of_their_station(grid):
    user, _ = create_villager_account(household=grid["h2"], phone="13800000002", by=grid["staff"])
    assert User.objects.get(pk=user.pk).household == grid["h2"]


def test_manager_cannot_create_account_outside_own_grid(grid):
    before = snapshot()
    with translation.override("zh-hans"), pytest.raises(PermissionDenied) as exc:
        create_villager_account(household=grid["h2"], phone="13800000002", by=grid["m1"])
    assert "网格" in str(exc.value)
    assert snapshot() == before


def test_staff_of_another_station_cannot_create_account(grid):
    other = UserFactory(role=User.Role.STAFF, station=DistrictFactory().station)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        create_villager_account(household=grid["h1"], phone="13800000001", by=other)
    assert snapshot() == before


@pytest.mark.parametrize("role", [User.Role.LEADER])
def test_leader_cannot_create_account(grid, role):
    leader = UserFactory(role=role, county=grid["d1"].station.county)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        create_villager_account(household=grid["h1"], phone="13800000001", by=leader)
    assert snapshot() == before


def test_villager_cannot_create_account_for_a_neighbour(grid):
    neighbour = HouseholdFactory(transformer_area=grid["h1"].transformer_area)
    villager = villager_for(grid["h1"])
    before = snapshot()
    with pytest.raises(PermissionDenied):
        create_villager_account(household=neighbour, phone="13800000009", by=villager)
    assert snapshot() == before


def test_second_account_for_same_household_is_refused(grid):
    create_villager_account(household=grid["h1"], phone="13800000001", by=grid["m1"])
    before = snapshot()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        create_villager_account(household=grid["h1"], phone="13800000011", by=grid["m1"])
    assert "已有账号" in " ".join(exc.value.messages)
    assert snapshot() == before


def test_phone_already_used_by_another_account_is_refused(grid):
    create_villager_account(household=grid["h1"], phone="13800000001", by=grid["m1"])
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        create_villager_account(household=grid["h2"], phone="138-0000-0001", by=grid["staff"])
    assert "phone" in exc.value.message_dict
    assert snapshot() == before


def test_phone_equal_to_a_staff_username_is_refused(grid):
    UserFactory(username="13800000077", role=User.Role.STAFF, station=grid["d1"].station)
    before = snapshot()
    with pytest.raises(ValidationError):
        create_villager_account(household=grid["h1"], phone="13800000077", by=grid["m1"])
    assert snapshot() == before


@pytest.mark.parametrize("phone", ["", "12ab", "139123", "1391234567890123"])
def test_malformed_phone_is_refused(grid, phone):
    before = snapshot()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        create_villager_account(household=grid["h1"], phone=phone, by=grid["m1"])
    assert "电话" in " ".join(exc.value.message_dict["phone"])
    assert snapshot() == before


def test_inactive_household_gets_no_account(grid):
    grid["h1"].is_active = False
    grid["h1"].save()
    before = snapshot()
    with pytest.raises(ValidationError):
        create_villager_account(household=grid["h1"], phone="13800000001", by=grid["m1"])
    assert snapshot() == before


def test_manager_resets_password_of_villager_in_own_grid(grid):
    villager = villager_for(grid["h1"])
    old_hash = villager.password
    password = reset_villager_password(user=villager, by=grid["m1"])
    villager.refresh_from_db()
    assert villager.password != old_hash
    assert villager.check_password(password)


def test_manager_cannot_reset_password_outside_own_grid(grid):
    villager = villager_for(grid["h2"])
    before = snapshot()
    with pytest.raises(PermissionDenied):
        reset_villager_password(user=villager, by=grid["m1"])
    assert snapshot() == before


def test_staff_password_cannot_be_reset_by_a_manager(grid):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        reset_villager_password(user=grid["staff"], by=grid["m1"])
    assert snapshot() == before


def test_generated_passwords_differ_and_pass_the_password_validators():
    from django.contrib.auth.password_validation import validate_password

    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in list(passwords)[:5]:
        validate_password(password)
