"""Pages of houhu.accounts and the station map: who may open what, and what each request
leaves in the database."""

from __future__ import annotations

import pytest
from django.test import Client

from houhu.accounts.models import User
from houhu.accounts.views import ISSUED_KEY
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
    d1 = DistrictFactory(manager_phone="13972800001")
    d2 = DistrictFactory(station=d1.station)
    h1 = HouseholdFactory(transformer_area=TransformerAreaFactory(district=d1), head_name="王大湖")
    h2 = HouseholdFactory(transformer_area=TransformerAreaFactory(district=d2))
    return {
        "d1": d1,
        "d2": d2,
        "h1": h1,
        "h2": h2,
        "m1": manager_of(d1, display_name="李台区"),
        "staff": UserFactory(role=User.Role.STAFF, station=d1.station),
        "leader": UserFactory(role=User.Role.LEADER, county=d1.station.county),
    }


def client_for(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def create_url(household) -> str:
    return f"/villagers/household/{household.pk}/create/"


# --- home pages ---------------------------------------------------------------------


def test_villager_home_shows_household_and_grid_managers_posted_phone(grid):
    villager = villager_for(grid["h1"])
    response = client_for(villager, "zh-hans").get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert grid["h1"].customer_number in html
    assert "李台区" in html
    assert 'href="tel:13972800001"' in html
    assert "拨打台区经理电话" in html


def test_leader_home_goes_to_statistics_or_map(grid):
    response = client_for(grid["leader"]).get("/")
    assert response.status_code == 302
    assert response.url in ("/stats/", "/map/") or response.url.startswith("/stats/")


def test_anonymous_home_goes_to_login():
    response = Client().get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_login_page_is_translated_by_default():
    html = Client().get("/login/").content.decode()
    assert "登录" in html
    assert "电话号码" in html


def test_villager_logs_in_with_phone_number(grid):
    villager = villager_for(grid["h1"])
    client = Client()
    response = client.post("/login/", {"username": villager.phone, "password": "pass-houhu-2016"})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == villager.pk


def test_switching_to_english_sets_the_language_cookie():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert "Log in" in client.get("/login/").content.decode()


# --- station map ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["m1", "staff", "leader"])
def test_station_map_opens_for_people_who_work_on_the_grid(grid, who):
    response = client_for(grid[who]).get("/map/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="map"' in html
    assert "js/houhu-map.js" in html
    assert 'id="houhu-map-config"' in html


def test_station_map_lists_only_the_managers_own_grids(grid):
    html = client_for(grid["m1"]).get("/map/").content.decode()
    assert f'value="{grid["d1"].pk}"' in html
    assert f'value="{grid["d2"].pk}"' not in html


def test_station_map_ignores_a_district_outside_the_users_scope(grid):
    response = client_for(grid["m1"]).get(f"/map/?district={grid['d2'].pk}")
    assert response.context["selected_district"] is None


def test_villager_is_sent_home_from_the_station_map(grid):
    response = client_for(villager_for(grid["h1"])).get("/map/")
    assert response.status_code == 302
    assert response.url == "/"


def test_staff_nav_links_to_the_map_and_account_pages(grid):
    html = client_for(grid["staff"], "zh-hans").get("/map/").content.decode()
    assert 'href="/map/"' in html
    assert 'href="/villagers/"' in html
    assert "地图" in html
    assert 'href="/stats/"' in html


def test_grid_managers_get_no_link_to_the_dashboard_they_may_not_read(grid):
    client = client_for(grid["m1"])
    assert 'href="/stats/"' not in client.get("/map/").content.decode()
    assert client.get("/stats/").status_code == 403


# --- villager account management ----------------------------------------------------------


@pytest.mark.parametrize("who", ["leader", "villager"])
def test_leaders_and_villagers_may_not_manage_accounts(grid, who):
    user = villager_for(grid["h2"]) if who == "villager" else grid[who]
    client = client_for(user)
    before = User.objects.count()
    assert client.get("/villagers/").status_code == 403
    assert client.post(create_url(grid["h1"]), {"phone": "13800000001"}).status_code == 403
    assert User.objects.count() == before


def test_manager_lists_only_households_of_own_grid(grid):
    response = client_for(grid["m1"]).get("/villagers/")
    listed = {h.pk for h in response.context["page"]}
    assert listed == {grid["h1"].pk}


def test_staff_lists_households_station_wide(grid):
    response = client_for(grid["staff"]).get("/villagers/")
    assert {h.pk for h in response.context["page"]} == {grid["h1"].pk, grid["h2"].pk}


def test_search_finds_household_by_name_customer_number_or_phone(grid):
    client = client_for(grid["staff"])
    for q in ("王大湖", grid["h1"].customer_number[-4:], grid["h1"].phone[-6:]):
        page = client.get("/villagers/", {"q": q}).context["page"]
        assert [h.pk for h in page] == [grid["h1"].pk], q


def test_list_is_paginated(grid):
    area = grid["h1"].transformer_area
    HouseholdFactory.create_batch(30, transformer_area=area)
    client = client_for(grid["m1"])
    first = client.get("/villagers/").context["page"]
    second = client.get("/villagers/", {"page": 2}).context["page"]
    assert len(first) == 25
    assert len(second) == 6
    assert not {h.pk for h in first} & {h.pk for h in second}


def test_manager_creates_account_and_sees_password_once(grid):
    client = client_for(grid["m1"])
    response = client.post(create_url(grid["h1"]), {"phone": "13811112222"})
    account = User.objects.get(household=grid["h1"])
    assert response.status_code == 302
    assert response.url == f"/villagers/{account.pk}/issued/"
    assert account.username == "13811112222"

    shown = client.get(response.url)
    password = shown.context["password"]
    assert password and account.check_password(password)
    assert password in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert ISSUED_KEY not in client.session

    again = client.get(response.url)
    assert again.context["password"] is None
    assert password not in again.content.decode()


def test_create_form_suggests_the_households_phone(grid):
    response = client_for(grid["m1"]).get(create_url(grid["h1"]))
    assert response.status_code == 200
    assert f'value="{grid["h1"].phone}"' in response.content.decode()


def test_double_submission_creates_one_account(grid):
    client = client_for(grid["m1"], "zh-hans")
    client.post(create_url(grid["h1"]), {"phone": "13811112222"})
    response = client.post(create_url(grid["h1"]), {"phone": "13811112222"})
    assert response.status_code == 200
    assert "已有账号" in response.content.decode()
    assert User.objects.filter(household=grid["h1"]).count() == 1


def test_duplicate_phone_shows_translated_error_and_creates_nothing(grid):
    grid["h2"].phone = "13833334444"
    grid["h2"].save()
    villager_for(grid["h2"])
    before = User.objects.count()
    response = client_for(grid["staff"], "zh-hans").post(
        create_url(grid["h1"]), {"phone": "13833334444"}
    )
    assert response.status_code == 200
    assert "该电话号码已被其他账号使用" in response.content.decode()
    assert User.objects.count() == before


def test_manager_gets_403_for_household_outside_own_grid(grid):
    client = client_for(grid["m1"])
    assert client.get(create_url(grid["h2"])).status_code == 403
    assert client.post(create_url(grid["h2"]), {"phone": "13800000002"}).status_code == 403
    assert not User.objects.filter(household=grid["h2"]).exists()


def test_manager_resets_password_and_old_one_stops_working(grid):
    villager = villager_for(grid["h1"])
    client = client_for(grid["m1"])
    response = client.post(f"/villagers/{villager.pk}/reset/")
    assert response.status_code == 302
    password = client.get(response.url).context["password"]
    villager.refresh_from_db()
    assert villager.check_password(password)
    assert not villager.check_password("pass-houhu-2016")


def test_reset_by_get_changes_nothing(grid):
    villager = villager_for(grid["h1"])
    old_hash = villager.password
    response = client_for(grid["m1"]).get(f"/villagers/{villager.pk}/reset/")
    assert response.status_code == 200
    villager.refresh_from_db()
    assert villager.password == old_hash


def test_manager_cannot_reset_password_outside_own_grid(grid):
    villager = villager_for(grid["h2"])
    old_hash = villager.password
    response = client_for(grid["m1"]).post(f"/villagers/{villager.pk}/reset/")
    assert response.status_code == 403
    villager.refresh_from_db()
    assert villager.password == old_hash


def test_forbidden_page_explains_why_in_chinese(grid):
    response = client_for(grid["leader"], "zh-hans").get("/villagers/")
    assert response.status_code == 403
    assert "只有台区经理和供电所员工可以管理账号" in response.content.decode()
