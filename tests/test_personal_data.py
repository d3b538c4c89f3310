"""Personal data on a need-to-know basis (houhu.accounts.scopes.PERSONAL_DATA), role by role,
on every endpoint and page the issue named: names and phones of households, villagers and
line guards are searched for in the whole answer, so a new field that leaks them fails too.

The world: build_grid()'s grid with the villager's own household, a neighbour household
(another villager) holding the east segment and having it as front door, a line guard
recorded by name and phone on the west segment, an unsigned household, pledges of the two
villager households, and a report of the villager next to the neighbour's house."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.gis.geos import Polygon

from houhu.accounts import scopes
from houhu.lib.masking import mask_name
from pledges.models import Assignment
from pledges.responsibility.services import assign_patch, assign_segments
from tests.factories import HouseholdFactory, point, villager_for
from tests.patrols.factories import build_grid, submit, tree_data
from tests.pledges.factories import PledgeFactory, PublishedVersionFactory

pytestmark = pytest.mark.django_db

NEIGHBOUR, NEIGHBOUR_PHONE = "王五六", "13812345678"
GUARD, GUARD_PHONE = "赵护线", "13700000009"
PATCH_HOLDER = "钱包片"
UNSIGNED, UNSIGNED_PHONE = "孙七八", "13611112222"
OWN = "李自家"


@pytest.fixture
def w():
    g = build_grid()
    g.household.head_name = OWN
    g.household.save(update_fields=["head_name"])
    g.neighbour = HouseholdFactory(
        transformer_area=g.ta, village=g.village, head_name=NEIGHBOUR, phone=NEIGHBOUR_PHONE,
        location=point(1500, 520),
    )  # fmt: skip
    g.neighbour_villager = villager_for(g.neighbour, display_name=NEIGHBOUR)
    g.unsigned = HouseholdFactory(
        transformer_area=g.ta, village=g.village, head_name=UNSIGNED, phone=UNSIGNED_PHONE
    )
    assign_segments(segments=[g.segment_east], user=g.neighbour_villager, by=g.manager)
    assign_segments(
        segments=[g.segment_west], person_name=GUARD, person_phone=GUARD_PHONE, by=g.manager
    )
    assign_patch(
        polygon=Polygon.from_bbox((*point(100, 100), *point(400, 400))),
        district=g.district, person_name=PATCH_HOLDER, person_phone="13500000000", by=g.manager,
    )  # fmt: skip
    Assignment.objects.create(
        scope=Assignment.Scope.FRONT_DOOR, household=g.neighbour, segment=g.segment_east,
        district=g.district, valid_from=dt.date(2024, 1, 1),
        front_door_state=Assignment.FrontDoorState.CONFIRMED, distance_m=20,
    )  # fmt: skip
    version = PublishedVersionFactory(compact__station=g.station)
    g.own_pledge = PledgeFactory(household=g.household, version=version, recorded_by=g.manager)
    g.neighbour_pledge = PledgeFactory(
        household=g.neighbour, version=version, recorded_by=g.manager
    )
    g.district.manager_phone = "13300000001"
    g.district.save(update_fields=["manager_phone"])
    g.report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(1500, 502))
    return g


SECRETS = (NEIGHBOUR, NEIGHBOUR_PHONE, GUARD, GUARD_PHONE, PATCH_HOLDER, UNSIGNED, UNSIGNED_PHONE)


def body(client, user, url) -> str:
    client.force_login(user)
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    return answer.content.decode()


def leaked(text: str, secrets=SECRETS) -> set[str]:
    return {s for s in secrets if s in text}


# --- the responsibility map and the assignments ------------------------------------------


@pytest.mark.parametrize("url", ["/api/pledges/assignments/", "/api/pledges/layers/assignments/"])
def test_a_villager_sees_who_is_responsible_as_a_masked_name_and_no_phone(client, w, url):
    text = body(client, w.villager, url)
    assert leaked(text) == set()
    for name in (NEIGHBOUR, GUARD, PATCH_HOLDER):
        assert mask_name(name) in text  # 王** : someone answers, not who


def test_the_segment_coverage_layer_masks_the_holder_for_a_villager(client, w):
    text = body(client, w.villager, "/api/pledges/layers/segment-coverage/")
    assert leaked(text) == set()
    assert mask_name(NEIGHBOUR) in text


@pytest.mark.parametrize("who", ["manager", "staff"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/pledges/assignments/",
        "/api/pledges/layers/assignments/",
        "/api/pledges/layers/segment-coverage/",
    ],
)
def test_grid_staff_see_the_responsibles_names_and_phones(client, w, who, url):
    text = body(client, getattr(w, who), url)
    assert {NEIGHBOUR, GUARD} <= leaked(text)
    if "layers/assignments" in url:  # the list gives the phone recorded, none for an account
        assert {NEIGHBOUR_PHONE, GUARD_PHONE} <= leaked(text)


# --- a report's responsibles ---------------------------------------------------------------


def test_a_villagers_own_report_names_no_neighbour_but_the_managers_posted_phone(client, w):
    client.force_login(w.villager)
    detail = client.get(f"/api/patrols/reports/{w.report.pk}/").json()
    assert detail["responsibles"] == []
    assert detail["district_manager"]["phone"] == "13300000001"
    assert leaked(str(detail)) == set()


@pytest.mark.parametrize("who", ["manager", "staff"])
def test_grid_staff_get_the_report_responsibles(client, w, who):
    client.force_login(getattr(w, who))
    detail = client.get(f"/api/patrols/reports/{w.report.pk}/").json()
    rows = {(r["scope"], r["name"], r["phone"]) for r in detail["responsibles"]}
    assert ("segment", NEIGHBOUR, NEIGHBOUR_PHONE) in rows
    assert ("front_door", NEIGHBOUR, NEIGHBOUR_PHONE) in rows


def test_a_leader_reads_the_report_without_responsibles_or_the_villagers_name(client, w):
    client.force_login(w.leader)
    detail = client.get(f"/api/patrols/reports/{w.report.pk}/").json()
    assert detail["responsibles"] == []
    assert detail["reporter_name"] is None
    assert all(e["actor_name"] is None for e in detail["events"])
    listed = client.get("/api/patrols/reports/").json()
    assert [r["reporter_name"] for r in listed["results"]] == [None]


# --- county leaders: no household's or villager's name or phone anywhere -------------------


LEADER_URLS = [
    "/api/pledges/unsigned-households/",
    "/api/pledges/pledges/",
    "/api/pledges/assignments/",
    "/api/pledges/layers/assignments/",
    "/api/pledges/layers/segment-coverage/",
    "/api/households/",
    "/api/layers/households/",
    "/api/patrols/reports/",
    "/pledges/staff/renewals/",
    "/pledges/staff/coverage/tables/",
    "/pledges/staff/assign/",
]


@pytest.mark.parametrize("url", LEADER_URLS)
def test_a_leader_sees_no_names_or_phones_of_households_or_villagers(client, w, url):
    assert leaked(body(client, w.leader, url), (*SECRETS, OWN)) == set()


def test_a_leader_sees_no_names_on_a_household_page(client, w):
    for url in (
        f"/pledges/households/{w.neighbour.pk}/card/",
        f"/pledges/staff/paper/?household={w.neighbour.pk}",
        f"/pledges/staff/paper/?q={w.neighbour.customer_number}",
        f"/pledges/staff/visits/new/?household={w.unsigned.pk}",
    ):
        assert leaked(body(client, w.leader, url), (*SECRETS, OWN)) == set(), url


def test_a_leaders_name_search_finds_nobody(client, w):
    text = body(client, w.leader, f"/pledges/staff/paper/?q={NEIGHBOUR}")
    assert f"?household={w.neighbour.pk}" not in text
    text = body(client, w.leader, f"/pledges/staff/paper/?q={w.neighbour.customer_number}")
    assert f"?household={w.neighbour.pk}" in text  # by customer number it still works


LEADER_PAGES = [
    "/map/",
    "/patrols/workspace/",
    "/stats/",
    "/stats/report/",
    "/stats/export/hazards.csv",
    "/stats/export/ranking.csv",
    "/pledges/staff/",
    "/pledges/staff/compacts/",
    "/pledges/staff/paper/",
    "/pledges/staff/coverage/",
]


@pytest.mark.parametrize("url", LEADER_PAGES)
def test_no_page_or_export_shows_a_leader_a_household_or_villager(client, w, url):
    assert leaked(body(client, w.leader, url), (*SECRETS, OWN)) == set()


def test_a_villagers_pages_show_their_own_household_and_no_neighbour(client, w):
    pages = [
        "/", "/patrols/mine/", f"/patrols/mine/{w.report.pk}/", "/pledges/",
        "/pledges/me/responsibility/", f"/pledges/households/{w.household.pk}/card/",
    ]  # fmt: skip
    seen = ""
    for url in pages:
        text = body(client, w.villager, url)
        assert leaked(text) == set(), url
        seen += text
    assert OWN in seen and "13300000001" in seen  # the grid manager's posted phone


@pytest.mark.parametrize("who", ["manager", "staff"])
def test_grid_staff_see_the_households_they_work_with(client, w, who):
    user = getattr(w, who)
    unsigned = body(client, user, "/api/pledges/unsigned-households/")
    assert {UNSIGNED, UNSIGNED_PHONE} <= leaked(unsigned)
    assert NEIGHBOUR in body(client, user, "/api/pledges/pledges/")
    assert NEIGHBOUR in body(client, user, f"/pledges/households/{w.neighbour.pk}/card/")


# --- a villager: their own household, reports and pledges ----------------------------------


def test_a_villager_sees_their_own_household_and_pledge_only(client, w):
    pledges = body(client, w.villager, "/api/pledges/pledges/")
    assert OWN in pledges and leaked(pledges) == set()
    unsigned = body(client, w.villager, "/api/pledges/unsigned-households/")
    assert leaked(unsigned) == set()
    households = body(client, w.villager, "/api/households/")
    assert OWN in households and leaked(households) == set()


def test_the_table_names_the_roles_the_issue_names():
    shown = scopes.PERSONAL_DATA
    villager, leader = shown[scopes.Role.VILLAGER], shown[scopes.Role.LEADER]
    assert villager[scopes.Whose.RESPONSIBLE] is scopes.Shown.MASKED
    assert villager[scopes.Whose.REPORT_CONTACTS] is scopes.Shown.NOTHING
    assert villager[scopes.Whose.GRID_MANAGER] is scopes.Shown.FULL
    assert leader[scopes.Whose.HOUSEHOLDS] is scopes.Shown.NOTHING
    assert leader[scopes.Whose.RESPONSIBLE] is scopes.Shown.NOTHING


def test_the_table_in_docs_security_is_the_table_in_scopes():
    from pathlib import Path

    from django.conf import settings

    text = Path(settings.BASE_DIR, "docs", "security.md").read_text()
    section = text.split("## Who sees which personal data", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip().strip("`") for cell in rows[0][1:]]
    documented = {
        cell[0].strip().split("`")[1]: dict(zip(header, (c.strip() for c in cell[1:]), strict=True))
        for cell in rows[2:]
    }
    expected = {
        whose.value: {role: scopes.PERSONAL_DATA[role][whose].value for role in header}
        for whose in scopes.Whose
    }
    assert set(header) == set(scopes.PERSONAL_DATA)
    assert documented == expected
