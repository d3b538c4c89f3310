"""No input gives a 5xx, and every refusal names its field (issue 8 §5-6): every operation
of the OpenAPI schema, as staff and as a villager, with the inputs that broke it once."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.conf import settings
from django.contrib.gis.geos import Polygon
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from houhu.accounts.models import User
from pledges.models import Assignment, HouseholdVisit
from tests.api_world import ApiWorld, build_api_world

pytestmark = pytest.mark.django_db

ROLES = ["staff", "villager"]
# JSON values that are not the object every write expects.
NOT_OBJECTS = ['"x"', "[{}]", "[null]", "1", "null", "[]", "true"]
HOSTILE_LIMITS = [str(10**30), "99999999999", "-1", "0", "abc", "1e9", ""]
# The object an {id} stands for, by the collection before it.
ID_OF = {
    "districts": "district",
    "households": "household",
    "segments": "segment",
    "villages": "village",
    "notifications": "notification",
    "reports": "report",
    "assignments": "assignment",
    "clauses": "clause",
    "compacts": "compact",
    "pledges": "pledge",
    "versions": "draft",
    "snapshots": "snapshot",
}


@pytest.fixture
def world() -> ApiWorld:
    return build_api_world()


def _operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method in ops
        if method in ("get", "post", "patch", "put", "delete")
    ]


def _url(world: ApiWorld, path: str) -> str:
    def fill(match: re.Match) -> str:
        if match.group(1) == "task_id":
            return str(uuid.uuid4())
        collection = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        return str(world.ids.get(ID_OF.get(collection, ""), 1))

    return re.sub(r"{(\w+)}", fill, path)


def _client(world: ApiWorld, role: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[role]}")
    return client


def _refusal_names_a_field(response) -> None:
    assert not _unnamed(response), _unnamed(response)


def _unnamed(response) -> str:
    """What is wrong with a 400's body: it must be the one error shape and name a field."""
    body = response.json()
    if not isinstance(body, dict) or not body.get("detail") or not body.get("code"):
        return f"not the error shape: {body}"
    if not set(body) - {"detail", "code"}:
        return f"names no field: {body}"
    return ""


def _no_5xx(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:300]}"


@pytest.mark.parametrize("role", ROLES)
def test_bodies_that_are_not_objects_are_refused_naming_a_field(world, role):
    client = _client(world, role)
    writes = [(m, p) for m, p in _operations() if m in ("POST", "PATCH", "PUT")]
    assert len(writes) >= 15
    wrong = []
    for method, path in writes:
        url = _url(world, path)
        for body in NOT_OBJECTS:
            response = getattr(client, method.lower())(url, body, content_type="application/json")
            what = f"{method} {url} {body}"
            if response.status_code >= 500:
                wrong.append(f"{what}: {response.status_code}")
            elif response.status_code == 400 and _unnamed(response):
                wrong.append(f"{what}: {_unnamed(response)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_and_every_list_caps_its_limit(world, role):
    client = _client(world, role)
    cap = settings.HOUHU_API_MAX_LIMIT
    wrong = []
    for method, path in _operations():
        if method != "GET":
            continue
        url = _url(world, path)
        for limit in [None, *HOSTILE_LIMITS]:
            query = {} if limit is None else {"limit": limit, "offset": limit}
            response = client.get(url, query)
            if response.status_code >= 500:
                wrong.append(f"{url} {query}: {response.status_code}")
                continue
            is_json = response.get("Content-Type", "").endswith("json")
            body = response.json() if response.status_code == 200 and is_json else None
            if isinstance(body, dict) and "results" in body and len(body["results"]) > cap:
                wrong.append(f"{url} {query}: {len(body['results'])} rows")
    assert not wrong, "\n".join(wrong)


def test_snapshot_list_and_detail_with_day_rows(world):
    client = _client(world, "staff")
    listed = client.get("/api/stats/snapshots/", {"period": "day"})
    assert listed.status_code == 200, listed.content[:300]
    assert listed.json()["results"] and all(r["period"] == "day" for r in listed.json()["results"])
    detail = client.get(f"/api/stats/snapshots/{world.ids['snapshot']}/")
    assert detail.status_code == 200
    assert detail.json()["period"] == "day"


def test_unassigned_segments_for_every_role(world):
    w = world.grid
    for user in (w.staff, w.manager, w.leader, w.villager):
        client = APIClient()
        client.force_authenticate(user)
        response = client.get("/api/pledges/unassigned-segments/")
        _no_5xx(response, user.role)
        if user.role == User.Role.STAFF:
            assert response.status_code == 200
            # seg1 is held by the manager, seg2 by nobody.
            assert {row["id"] for row in response.json()} == {w.seg2.pk}


def _submit(client, **extra):
    body = {"client_id": str(uuid.uuid4()), "kind": "tree", "lon": 112.81, "lat": 30.455, **extra}
    return client.post("/api/patrols/reports/", body, format="json")


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00Z", "1900-05-01T08:00:00+08:00", "9999-12-31T23:59:59Z"]
)
def test_report_dates_outside_the_ledgers_years_are_refused_naming_the_field(world, when):
    response = _submit(_client(world, "villager"), submitted_at=when)
    assert response.status_code == 400, response.content[:300]
    message = response.json()["submitted_at"][0]
    assert any("\u4e00" <= c <= "\u9fff" for c in message), message  # zh-hans, the default


def test_json_nested_100000_deep_is_a_400(world):
    body = "[" * 100_000 + "]" * 100_000
    client = _client(world, "villager")
    response = client.post("/api/patrols/reports/", body, content_type="application/json")
    assert response.status_code == 400
    _refusal_names_a_field(response)


def test_a_megabyte_of_visit_note_is_refused_naming_note(world):
    client = APIClient()
    client.force_authenticate(world.grid.manager)
    before = HouseholdVisit.objects.count()
    response = client.post(
        "/api/pledges/visits/",
        {"household": world.grid.h1.pk, "outcome": "explained", "note": "x" * 1_000_000},
        format="json",
    )
    assert response.status_code == 400
    assert "note" in response.json()
    assert HouseholdVisit.objects.count() == before


def test_a_megabyte_of_assignment_note_is_refused_naming_note(world):
    client = _client(world, "staff")
    before = Assignment.objects.count()
    response = client.post(
        "/api/pledges/assignments/",
        {
            "scope": "segment",
            "segments": [world.grid.seg2.pk],
            "person_name": "李四",
            "note": "x" * 1_000_000,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "note" in response.json()
    assert Assignment.objects.count() == before


def test_photos_sent_as_a_json_string_are_refused_naming_photos(world):
    response = _submit(_client(world, "villager"), photos="not-a-file")
    assert response.status_code == 400, response.content[:300]
    assert "photos" in response.json()


def test_a_paper_pledge_dated_1900_is_refused_naming_the_date(world):
    client = _client(world, "staff")
    response = client.post(
        "/api/pledges/pledges/",
        {
            "household": world.grid.h2.pk,
            "version": world.ids["version"],
            "method": "paper",
            "signatory": "户主",
            "signed_on": "1900-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "signed_on" in response.json()


def test_malformed_json_is_a_400_naming_a_field(world):
    response = _client(world, "villager").post(
        "/api/patrols/reports/", '{"kind": ', content_type="application/json"
    )
    assert response.status_code == 400
    _refusal_names_a_field(response)
    assert json.loads(response.content)["code"]


def test_a_body_over_the_upload_limit_is_a_json_400(world):
    client = APIClient()
    client.force_authenticate(world.grid.manager)
    note = "字" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 3 + 1)
    response = client.post(
        "/api/pledges/visits/", {"household": world.grid.h1.pk, "note": note}, format="json"
    )
    assert response.status_code == 400
    _refusal_names_a_field(response)


def test_a_managers_patch_mostly_in_another_grid_is_a_400_naming_polygon(world):
    w = world.grid
    _xmin, ymin, xmax, _ymax = w.d1.boundary.extent
    # Three quarters in d2, east of d1: the manager of d1 may not file it under d1.
    patch = Polygon.from_bbox((xmax - 0.002, ymin + 0.002, xmax + 0.006, ymin + 0.006))
    client = APIClient()
    client.force_authenticate(w.manager)
    before = Assignment.objects.count()
    response = client.post(
        "/api/pledges/assignments/",
        {"scope": "patch", "polygon": json.loads(patch.geojson), "person_name": "李四"},
        format="json",
    )
    assert response.status_code == 400, response.content[:300]
    assert "polygon" in response.json() and "75%" in response.json()["polygon"][0]
    assert Assignment.objects.count() == before


@pytest.mark.parametrize("day", ["0001-01-01", "1900-01-01", "9999-12-31"])
def test_date_filters_far_outside_the_ledger_never_give_a_5xx(world, day):
    client = _client(world, "staff")
    month = day[:7]
    for url, query in [
        ("/api/patrols/reports/", {"since": day, "until": day}),
        ("/api/patrols/layers/reports/", {"since": day, "until": day}),
        ("/api/patrols/counts/", {"since": day, "until": day}),
        ("/api/stats/snapshots/", {"period_start": day}),
        ("/api/stats/ranking/", {"id": 1, "month": month}),
        ("/api/stats/choropleth/", {"month": month}),
        ("/api/pledges/assignments/", {"on": day}),
    ]:
        _no_5xx(client.get(url, query), f"{url} {query}")
