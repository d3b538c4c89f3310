"""A villager replaces the password the grid manager wrote down for them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from houhu.accounts import services
from tests.factories import HouseholdFactory, manager_of

pytestmark = pytest.mark.django_db


def _villager_with_issued_password():
    household = HouseholdFactory()
    manager = manager_of(household.transformer_area.district)
    villager, password = services.create_villager_account(
        household=household, phone=household.phone, by=manager
    )
    return villager, password


def test_villager_changes_the_issued_password_and_stays_logged_in(client):
    villager, issued = _villager_with_issued_password()
    # Through the log-in page: django-axes needs the request (Client.login sends none).
    logged_in = client.post(
        reverse("accounts:login"), {"username": villager.username, "password": issued}
    )
    assert logged_in.status_code == 302
    home = client.get(reverse("accounts:home"))
    assert reverse("accounts:password_change") in home.content.decode()

    answer = client.post(
        reverse("accounts:password_change"),
        {"old_password": issued, "new_password1": "hu-lake-7391", "new_password2": "hu-lake-7391"},
    )
    assert answer.status_code == 302
    assert client.get(reverse("accounts:home")).status_code == 200  # this session goes on
    villager.refresh_from_db()
    assert villager.check_password("hu-lake-7391")
    assert not villager.check_password(issued)


def test_a_weak_or_mistyped_password_is_refused_with_a_translated_reason(client):
    villager, issued = _villager_with_issued_password()
    client.force_login(villager)
    answer = client.post(
        reverse("accounts:password_change"),
        {"old_password": issued, "new_password1": "12345678", "new_password2": "12345678"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "密码只包含数字" in page  # Django's own reason, in Chinese
    assert "entirely numeric" not in page
    villager.refresh_from_db()
    assert villager.check_password(issued)  # nothing changed


def test_only_a_logged_in_user_reaches_the_page(client):
    answer = client.get(reverse("accounts:password_change"))
    assert answer.status_code == 302
    assert reverse("accounts:login") in answer["Location"]
