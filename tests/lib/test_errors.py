"""The one domain error type and the one DRF exception handler: every app's refusals
answer the same shape, {"detail", "code", "<field>"}, with their own status."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.utils import translation

from houhu.lib.errors import DomainError
from patrols import errors as patrol_errors
from pledges import errors as pledge_errors
from tests.factories import villager_for
from tests.patrols.factories import build_grid, tree_data
from tests.pledges.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_one_exception_handler_is_configured_for_the_api():
    assert settings.REST_FRAMEWORK["EXCEPTION_HANDLER"] == "houhu.lib.errors.exception_handler"


@pytest.mark.parametrize(
    "error",
    [
        patrol_errors.InvalidInput,
        patrol_errors.NotAllowed,
        patrol_errors.ReplayMismatch,
        patrol_errors.TransitionNotAllowed,
        patrol_errors.PhotoRejected,
        pledge_errors.NotAllowed,
        pledge_errors.AlreadySigned,
        pledge_errors.BadScan,
        pledge_errors.VersionFrozen,
    ],
)
def test_every_apps_refusal_is_the_one_domain_error_type(error):
    assert issubclass(error, DomainError)
    raised = error(field="note")
    assert raised.message and raised.code and raised.http_status in (400, 403, 409, 422)


def test_a_patrols_refusal_answers_detail_code_and_field(client):
    g = build_grid()
    client.force_login(g.villager)
    no_location = {k: v for k, v in tree_data().items() if k not in ("lon", "lat")}
    response = client.post("/api/patrols/reports/", {"client_id": str(uuid.uuid4()), **no_location})
    assert response.status_code == 400
    data = response.json()
    assert set(data) == {"detail", "code", "lon"}
    assert data["lon"] == [data["detail"]] and data["code"] == "bad_input"


def test_a_pledges_refusal_answers_the_same_shape(client):
    world = World()
    client.force_login(villager_for(world.h1))
    response = client.post(
        "/api/pledges/pledges/",
        {"household": world.h2.pk, "version": world.version.pk, "confirm": True},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert set(response.json()) >= {"detail", "code"}
