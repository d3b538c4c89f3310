"""Write throttles: new reports per account per hour (replays never count), and a general
per-user limit on API writes, both answering 429 with a translated message."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.test import Client, override_settings
from django.utils import timezone

from patrols.models import Report
from tests.patrols.factories import build_grid, tree_data

pytestmark = pytest.mark.django_db

REPORTS = "/api/patrols/reports/"


def rates(**scoped):
    """The project's REST_FRAMEWORK settings with other throttle rates (DRF reloads them)."""
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], **scoped}
    return override_settings(REST_FRAMEWORK=rest)


@pytest.fixture
def g():
    return build_grid()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def submit(client, client_id=None, lang="en", **extra):
    body = {"client_id": str(client_id or uuid.uuid4()), **tree_data(), **extra}
    return client.post(
        REPORTS, json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang
    )


def test_default_rates_are_the_documented_ones():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "writes": "60/minute",
        "reports": "60/hour",
    }


@rates(reports="3/hour")
def test_a_villager_over_the_hourly_rate_gets_a_translated_429_and_nothing_is_stored(g):
    client = client_for(g.villager)
    for _ in range(3):
        assert submit(client).status_code == 201
    response = submit(client, lang="zh-hans")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 3500
    detail = response.json()["detail"]
    assert "3" in detail and "手机" in detail, detail  # translated, says the phone keeps it
    assert Report.objects.count() == 3


@rates(reports="3/hour")
def test_replays_of_a_stored_report_are_never_throttled(g):
    """A phone that lost its answers resends the same report many times: each resend
    returns the stored report (200), even once the account is at its limit."""
    client = client_for(g.villager)
    first = uuid.uuid4()
    assert submit(client, client_id=first).status_code == 201
    for _ in range(20):
        again = submit(client, client_id=first)
        assert again.status_code == 200, again.content
    assert submit(client).status_code == 201
    assert submit(client).status_code == 201
    assert submit(client).status_code == 429  # the 4th new report
    for _ in range(5):
        assert submit(client, client_id=first).status_code == 200
    assert Report.objects.count() == 3


@rates(reports="2/hour")
def test_the_window_slides_a_report_is_accepted_an_hour_after_the_oldest(g):
    client = client_for(g.villager)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert submit(client).status_code == 201
    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        assert submit(client).status_code == 201
        refused = submit(client)
        assert refused.status_code == 429
        assert 1790 <= int(refused["Retry-After"]) <= 1801
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=False):
        assert submit(client).status_code == 201


@rates(reports="1/hour")
def test_the_limit_is_per_account(g):
    from tests.factories import HouseholdFactory, villager_for

    neighbour = villager_for(
        HouseholdFactory(transformer_area=g.villager.household.transformer_area)
    )
    assert submit(client_for(g.villager)).status_code == 201
    assert submit(client_for(g.villager)).status_code == 429
    assert submit(client_for(neighbour)).status_code == 201


@rates(writes="2/minute")
def test_general_write_throttle_is_per_user_and_spares_reads(g):
    staff = client_for(g.staff)
    for _ in range(2):
        assert staff.post("/api/patrols/notifications/999999/read/").status_code != 429
    refused = staff.post("/api/patrols/notifications/999999/read/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "请" in refused.json()["detail"] or "秒" in refused.json()["detail"]
    assert staff.get("/api/patrols/notifications/").status_code == 200  # reads pass
    # Another user is not affected.
    assert client_for(g.villager).post("/api/patrols/notifications/999999/read/").status_code != 429


@rates(writes="1/minute")
def test_report_submissions_are_not_counted_by_the_general_write_throttle(g):
    client = client_for(g.villager)
    assert submit(client).status_code == 201
    assert submit(client).status_code == 201


@rates(writes="1/minute")
def test_write_throttle_lets_writes_through_when_its_cache_is_down(g):
    dead = {
        **settings.CACHES,
        "throttle": {**settings.CACHES["throttle"], "LOCATION": "redis://127.0.0.1:9/1"},
    }
    with override_settings(CACHES=dead):
        staff = client_for(g.staff)
        for _ in range(3):
            assert staff.post("/api/patrols/notifications/999999/read/").status_code != 429
    caches["throttle"].clear()
