"""The households GeoJSON layer cached under the household tiles' per-grid versions
(houhu.grid.layer_cache): served from the cache until a change of its grid is announced,
per reader's view of personal data, never for a villager or a bbox, 304 on a reload."""

from __future__ import annotations

import gzip
import json

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from houhu.grid.models import Household, TransformerArea
from houhu.lib import tilecache
from houhu.lib.signals import ledger_changed
from patrols.models import Report
from tests.patrols.factories import build_grid

pytestmark = pytest.mark.django_db

LAYER = "/api/layers/households/"


@pytest.fixture
def g():
    return build_grid()


def get(user, gzip_ok: bool = True, **extra):
    client = Client()
    client.force_login(user)
    headers = {"HTTP_ACCEPT_ENCODING": "gzip"} if gzip_ok else {}
    return client.get(LAYER, extra.pop("query", {}), **headers, **extra)


def features(response) -> dict[int, dict]:
    assert response.status_code == 200, response.content
    data = response.content
    if response.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return {f["properties"]["id"]: f["properties"] for f in json.loads(data)["features"]}


def built(user, **extra) -> bool:
    """Did this request build the layer in PostGIS (rather than read the cache)?"""
    with CaptureQueriesContext(connection) as queries:
        response = get(user, **extra)
    assert response.status_code in (200, 304)
    return any("FeatureCollection" in q["sql"] for q in queries.captured_queries)


def announce(sender, district_ids, capture) -> None:
    with capture(execute=True):
        ledger_changed.send(sender=sender, district_ids=district_ids)


def test_the_layer_is_built_once_and_served_from_the_cache(g):
    assert built(g.staff)
    first = get(g.staff)
    assert not built(g.staff)
    again = get(g.staff)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "private, no-cache"
    assert features(again)[g.household.pk]["head_name"] == g.household.head_name
    # The same stored gzip, inflated for a client that does not take gzip.
    plain = get(g.staff, gzip_ok=False)
    assert "Content-Encoding" not in plain
    assert plain.content == gzip.decompress(first.content)


def test_a_reload_that_changed_nothing_is_a_304(g):
    etag = get(g.staff)["ETag"]
    answer = get(g.staff, HTTP_IF_NONE_MATCH=etag)
    assert answer.status_code == 304 and answer.content == b""


def test_an_announced_change_of_the_grid_makes_it_stale(g, django_capture_on_commit_callbacks):
    etag = get(g.staff)["ETag"]
    Household.objects.filter(pk=g.household.pk).update(head_name="改名后")
    # A change elsewhere, or of another layer, leaves the cached layer as it is.
    announce(Household, [g.other_district.pk], django_capture_on_commit_callbacks)
    announce(Report, [g.district.pk], django_capture_on_commit_callbacks)
    assert get(g.staff, HTTP_IF_NONE_MATCH=etag).status_code == 304

    announce(Household, [g.district.pk], django_capture_on_commit_callbacks)
    fresh = get(g.staff, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert features(fresh)[g.household.pk]["head_name"] == "改名后"


def test_a_transformer_area_moved_in_the_admin_moves_its_households(
    g, django_capture_on_commit_callbacks
):
    assert features(get(g.staff))[g.household.pk]["district"] == g.district.pk
    assert g.household.pk not in features(get(g.other_staff))
    area = TransformerArea.objects.get(pk=g.ta.pk)
    area.district = g.other_district  # a grid of the other station
    request = RequestFactory().post("/admin/")
    request.user = g.staff
    with django_capture_on_commit_callbacks(execute=True):
        admin.site._registry[TransformerArea].save_model(request, area, None, True)
    assert g.household.pk not in features(get(g.staff))
    assert features(get(g.other_staff))[g.household.pk]["district"] == g.other_district.pk


def test_a_leader_never_gets_the_names_cached_for_staff(g):
    staff_view = get(g.staff)
    assert features(staff_view)[g.household.pk]["head_name"] == g.household.head_name
    leader_view = get(g.leader)
    assert features(leader_view)[g.household.pk]["head_name"] is None
    assert leader_view["ETag"] != staff_view["ETag"]


def test_a_villager_and_a_bbox_are_never_cached(g):
    mine = get(g.villager)
    assert "ETag" not in mine and list(features(mine)) == [g.household.pk]
    x, y = g.household.location.x, g.household.location.y
    box = {"bbox": f"{x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}"}
    assert built(g.staff, query=box) and built(g.staff, query=box)
    assert "ETag" not in get(g.staff, query=box)


def test_the_grid_filter_is_keyed_by_the_grids_it_leaves(g):
    whole = get(g.staff)
    # The staff member's station has one grid: filtering on it is the same answer.
    one = get(g.staff, query={"district": g.district.pk})
    assert one["ETag"] == whole["ETag"] and features(one) == features(whole)
    # A grid not theirs leaves nothing, and nothing is cached for it.
    elsewhere = get(g.staff, query={"district": g.other_district.pk})
    assert features(elsewhere) == {} and "ETag" not in elsewhere


def test_served_uncached_when_the_cache_is_unreachable(g, monkeypatch):
    monkeypatch.setattr(tilecache, "versions", lambda layer, ids: None)
    answer = get(g.staff)
    assert "ETag" not in answer and g.household.pk in features(answer)
    assert built(g.staff)
