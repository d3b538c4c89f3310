"""Grid managers record their visits to households: who may, which dates, one a day, the
page on the renewal visit list, and the monthly count in the statistics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from pledges import errors
from pledges.compact import visits as services
from pledges.models import HouseholdVisit
from stats.compute import compute_snapshots
from stats.models import Snapshot
from tests.factories import villager_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (msgids); the site default is Chinese."""
    with translation.override("en"):
        yield


def test_grid_manager_records_a_visit_in_their_grid(world):
    visit = services.visit_record(
        household=world.h1, by=world.m1, outcome="nobody_home", note=" came back later "
    )
    assert (visit.visited_by, visit.visited_on, visit.note) == (
        world.m1,
        timezone.localdate(),
        "came back later",
    )
    assert HouseholdVisit.objects.get().outcome == HouseholdVisit.Outcome.NOBODY_HOME


@pytest.mark.parametrize("who", ["m2", "leader", "villager"])
def test_nobody_outside_the_grid_records_a_visit(world, who):
    user = villager_for(world.h1) if who == "villager" else getattr(world, who)
    with pytest.raises(errors.NotAllowed):
        services.visit_record(household=world.h1, by=user, outcome="explained")
    assert not HouseholdVisit.objects.exists()


@pytest.mark.parametrize(
    ("days_ago", "outcome", "message"),
    [
        (-1, "explained", "A visit cannot be dated in the future."),
        (services.VISIT_MAX_AGE_DAYS + 1, "explained", "cannot be recorded"),
        (0, "bribed", "Choose what came of the visit."),
    ],
)
def test_a_wrong_date_or_outcome_is_refused_and_nothing_is_recorded(
    world, days_ago, outcome, message
):
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    with pytest.raises(errors.BadInput, match=message):
        services.visit_record(household=world.h1, by=world.m1, outcome=outcome, visited_on=day)
    assert not HouseholdVisit.objects.exists()


def test_the_same_visit_sent_twice_is_recorded_once(world):
    services.visit_record(household=world.h1, by=world.m1, outcome="explained")
    with pytest.raises(errors.AlreadyVisited):
        services.visit_record(household=world.h1, by=world.m1, outcome="signed")
    assert list(HouseholdVisit.objects.values_list("outcome", flat=True)) == ["explained"]
    # Staff visiting the same household that day is another visit.
    services.visit_record(household=world.h1, by=world.staff, outcome="signed")
    assert HouseholdVisit.objects.count() == 2


def test_visit_page_records_and_the_visit_list_shows_the_last_visit(world, client):
    client.force_login(world.m1)
    url = reverse("pledges:visit_new")
    day = timezone.localdate() - dt.timedelta(days=3)
    page = client.get(url, {"household": world.h1.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert world.h1.customer_number in page.content.decode()

    answer = client.post(
        url, {"household": world.h1.pk, "visited_on": day.isoformat(), "outcome": "explained"}
    )
    assert answer.status_code == 302
    assert HouseholdVisit.objects.get().visited_on == day
    again = client.post(
        url, {"household": world.h1.pk, "visited_on": day.isoformat(), "outcome": "explained"}
    )
    assert again.status_code == 400
    assert HouseholdVisit.objects.count() == 1

    # A household of another grid is not offered, whatever the URL says.
    other = client.get(url, {"household": world.h4.pk})
    assert other.status_code == 302
    assert not HouseholdVisit.objects.filter(household=world.h4).exists()


def test_a_county_leader_cannot_post_a_visit(world, client):
    client.force_login(world.leader)
    answer = client.post(
        reverse("pledges:visit_new"),
        {"household": world.h1.pk, "visited_on": timezone.localdate(), "outcome": "explained"},
    )
    assert answer.status_code == 403
    assert not HouseholdVisit.objects.exists()


def test_monthly_snapshots_count_the_visits_of_the_month(world):
    today = timezone.localdate()
    month = today.replace(day=1)
    before = month - dt.timedelta(days=1)  # last month: not counted this month
    for household, user, day in [
        (world.h1, world.m1, today),
        (world.h2, world.m1, today),
        (world.h2, world.staff, today),
        (world.h3, world.m1, before),
        (world.h4, world.m2, today),
    ]:
        services.visit_record(household=household, by=user, outcome="explained", visited_on=day)

    compute_snapshots(kind="month", first=before.replace(day=1), last=today)

    def visits(level, scope_id, start):
        return Snapshot.objects.get(
            level=level, scope_id=scope_id, period="month", period_start=start
        ).household_visits

    assert visits("district", world.d1.pk, month) == 3
    assert visits("district", world.d2.pk, month) == 1
    assert visits("transformer_area", world.ta1.pk, month) == 3
    assert visits("station", world.station.pk, month) == 4
    assert visits("district", world.d1.pk, before.replace(day=1)) == 1
    # A grid's own refresh reads its households' visits only, and gives the same figures.
    compute_snapshots(
        kind="month", first=before.replace(day=1), last=today, district_id=world.d1.pk
    )
    assert visits("district", world.d1.pk, month) == 3
    assert visits("transformer_area", world.ta1.pk, month) == 3
    assert visits("district", world.d1.pk, before.replace(day=1)) == 1
    assert visits("district", world.d2.pk, month) == 1
    # Day rows carry no stocks or visits.
    assert not Snapshot.objects.filter(period="day").exclude(household_visits=None).exists()


def test_visits_through_the_api_follow_the_same_rules(world, client):
    client.force_login(world.m1)
    url = "/api/pledges/visits/"
    made = client.post(url, {"household": world.h1.pk, "outcome": "signed"}, "application/json")
    assert made.status_code == 201, made.content
    assert made.json()["visited_on"] == timezone.localdate().isoformat()
    again = client.post(url, {"household": world.h1.pk, "outcome": "signed"}, "application/json")
    assert (again.status_code, again.json()["code"]) == (409, "already_visited")
    other = client.post(url, {"household": world.h4.pk, "outcome": "signed"}, "application/json")
    assert (other.status_code, other.json()["code"]) == (403, "forbidden")
    assert HouseholdVisit.objects.count() == 1

    services.visit_record(household=world.h4, by=world.m2, outcome="explained")
    listed = client.get(url).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["household"] for r in rows] == [world.h1.pk]  # not the other grid's visit


@pytest.mark.parametrize(
    ("field", "value"), [("visited_on", "1900-01-01"), ("note", "x" * 1_000_000)]
)
def test_visit_page_refuses_what_the_api_refuses(world, client, field, value):
    # The same bounds as the API (houhu/lib/dates.py, the model's max_length).
    client.force_login(world.m1)
    data = {
        "household": world.h1.pk,
        "visited_on": timezone.localdate().isoformat(),
        "outcome": "explained",
        field: value,
    }
    answer = client.post(reverse("pledges:visit_new"), data)
    assert answer.status_code in (200, 400)
    assert not HouseholdVisit.objects.exists()
