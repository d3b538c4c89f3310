"""Log-in and accounts in Debian's Chromium on a phone-sized screen: a villager logs in
with their phone number and can call the grid manager; a grid manager creates a villager
account and the villager logs in with the password shown once."""

from __future__ import annotations

from pathlib import Path

import pytest

from houhu.accounts.models import User
from tests.conftest import login
from tests.factories import (
    DistrictFactory,
    HouseholdFactory,
    TransformerAreaFactory,
    manager_of,
    villager_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT_MS = 20_000
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def grid():
    district = DistrictFactory(manager_phone="13972800001")
    manager = manager_of(district, display_name="李台区")
    area = TransformerAreaFactory(district=district)
    return {
        "district": district,
        "manager": manager,
        "h1": HouseholdFactory(transformer_area=area, head_name="王大湖", phone="13911110001"),
        "h2": HouseholdFactory(transformer_area=area, head_name="张后湖", phone="13911110002"),
    }


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_villager_logs_in_with_phone_and_sees_grid_managers_phone(live_server, phone_page, grid):
    villager = villager_for(grid["h1"])
    login(phone_page, live_server.url, villager.phone)
    assert phone_page.url == f"{live_server.url}/"
    call = phone_page.locator("a.call")
    assert call.get_attribute("href") == "tel:13972800001"
    assert "拨打台区经理电话" in call.inner_text()
    assert "13972800001" in call.inner_text()
    assert "李台区" in phone_page.locator(".manager-card").inner_text()
    assert grid["h1"].customer_number in phone_page.content()
    # Light page: no map library on the villager's home.
    assert phone_page.evaluate("typeof window.L") == "undefined"
    shot(phone_page, "villager-home")


def test_wrong_password_keeps_the_villager_on_the_login_page(live_server, phone_page, grid):
    villager = villager_for(grid["h1"])
    login(phone_page, live_server.url, villager.phone, password="wrong-password")
    assert "/login/" in phone_page.url
    assert phone_page.locator("p.error[role=alert]").count() == 1
    shot(phone_page, "login-error")


def test_grid_manager_creates_account_and_villager_logs_in_with_shown_password(
    live_server, phone_page, grid
):
    login(phone_page, live_server.url, grid["manager"].username)
    phone_page.goto(f"{live_server.url}/villagers/")
    phone_page.fill("input[name=q]", "王大湖")
    phone_page.click("form[role=search] button")
    phone_page.wait_for_load_state("networkidle")
    row = phone_page.locator(f"li[data-household='{grid['h1'].pk}']")
    assert "未开通账号" in row.inner_text()
    shot(phone_page, "villager-list")

    row.locator("a.button").click()
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.input_value("input[name=phone]") == "13911110001"
    shot(phone_page, "villager-create")
    phone_page.click("button[type=submit]")
    phone_page.wait_for_load_state("networkidle")

    password = phone_page.inner_text("#issued-password").strip()
    assert phone_page.inner_text("#issued-login").strip() == "13911110001"
    account = User.objects.get(household=grid["h1"])
    assert account.check_password(password)
    shot(phone_page, "villager-issued")

    # Shown once: a reload shows no password.
    phone_page.reload()
    assert phone_page.locator("#issued-password").count() == 0
    assert password not in phone_page.content()

    phone_page.click("text=退出登录")
    phone_page.wait_for_load_state("networkidle")
    login(phone_page, live_server.url, "13911110001", password=password)
    assert phone_page.url == f"{live_server.url}/"
    assert "王大湖" in phone_page.locator("h1").inner_text()


def test_login_page_switches_to_english_and_back(live_server, phone_page):
    phone_page.goto(f"{live_server.url}/login/")
    assert phone_page.locator("h1").inner_text() == "登录"
    phone_page.click("button[name=language][value=en]")
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.locator("h1").inner_text() == "Log in"
    assert phone_page.locator("label[for=id_username]").inner_text() == "Phone number or username"
    shot(phone_page, "login-en")
    phone_page.click("button[name=language][value=zh-hans]")
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.locator("h1").inner_text() == "登录"
