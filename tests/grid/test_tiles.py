"""Vector tiles /tiles/<layer>/<z>/<x>/<y>.pbf: the GeoJSON layers' permission and
personal-data rules, cells at low zooms, gzip, the cache and its invalidation. Tiles are
decoded with mapbox-vector-tile (a valid MVT or the test fails)."""

from __future__ import annotations

import datetime as dt
import gzip
import math
import uuid

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone

from houhu.grid.models import Household
from houhu.lib import tilecache
from houhu.lib.signals import ledger_changed
from patrols.models import Report
from tests.patrols.factories import ReportFactory, build_grid, tree_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def g():
    return build_grid()


def tile_of(point, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((point.x + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(point.y))) / math.pi) / 2 * n)
    return z, x, y


def get_tile(user, layer: str, zxy, gzip_ok: bool = True, **extra):
    client = Client()
    if user is not None:
        client.force_login(user)
    headers = {"HTTP_ACCEPT_ENCODING": "gzip, deflate"} if gzip_ok else {}
    z, x, y = zxy
    return client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", **headers, **extra)


def decode(response) -> list[dict]:
    """The features of the tile's one layer (none if the tile is empty)."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    data = response.content
    if response.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    layers = mapbox_vector_tile.decode(data)
    assert len(layers) <= 1
    return next(iter(layers.values()))["features"] if layers else []


def props(features) -> list[dict]:
    return [f["properties"] for f in features]


# --- who sees what ------------------------------------------------------------------------


def test_household_tiles_carry_no_personal_data_for_anyone(g):
    zxy = tile_of(g.household.location, 16)
    for user in (g.staff, g.manager, g.leader):
        features = decode(get_tile(user, "households", zxy))
        assert [f["id"] for f in features] == [g.household.pk]
        assert features[0]["properties"] == {
            "district_id": g.district.pk,
            "is_aquaculture": g.household.is_aquaculture,
        }


@pytest.mark.parametrize("who", ["villager", None])
def test_villagers_and_anonymous_get_no_tiles(g, who):
    user = getattr(g, who) if who else None
    response = get_tile(user, "households", tile_of(g.household.location, 16))
    assert response.status_code == 403
    assert response.content == b""


def test_unknown_layer_or_tile_outside_the_world_is_404(g):
    assert get_tile(g.staff, "people", (10, 1, 1)).status_code == 404
    assert get_tile(g.staff, "households", (3, 8, 0)).status_code == 404


def test_low_zoom_counts_only_the_households_one_may_read(g):
    # z10 (~39 km): both stations' grids lie in this tile; each station's staff count
    # only their own station's households.
    zxy = tile_of(g.household.location, 10)
    assert zxy == tile_of(g.other_household.location, 10)
    for user, expected in ((g.staff, 1), (g.other_staff, 1), (g.manager, 1)):
        cells = props(decode(get_tile(user, "households", zxy)))
        assert sum(c["n"] for c in cells) == expected
        assert all(set(c) == {"n", "aquaculture"} for c in cells)
    other = props(decode(get_tile(g.other_staff, "households", tile_of(g.household.location, 16))))
    assert other == []


def test_segments_tile_holds_the_grids_segments(g):
    zxy = tile_of(g.segment_west.geom.centroid, 14)
    got = {p["id"]: p for p in props(decode(get_tile(g.staff, "segments", zxy)))}
    assert g.segment_west.pk in got and g.other_segment.pk not in got
    assert got[g.segment_west.pk]["code"] == g.segment_west.code
    assert got[g.segment_west.pk]["voltage_kv"] == 10


def test_coverage_tiles_carry_no_person_at_any_zoom(g):
    high = props(decode(get_tile(g.staff, "coverage", tile_of(g.segment_west.geom.centroid, 14))))
    assert {p["id"] for p in high} >= {g.segment_west.pk}
    for p in high:
        assert "responsible_name" not in p
        assert p["responsible"] in (True, False)
    low = props(decode(get_tile(g.staff, "coverage", tile_of(g.household.location, 9))))
    assert sum(c["n"] for c in low) == 1
    assert all(set(c) == {"n", "signed"} for c in low)
    county = Household.objects.filter(transformer_area__district__station__county=g.station.county)
    low = props(decode(get_tile(g.leader, "coverage", tile_of(g.household.location, 9))))
    assert sum(c["n"] for c in low) == county.count()


# --- reports: open ones and a recent window of closed ones -------------------------------


def test_reports_map_holds_open_and_recently_closed_reports_only(g):
    now = timezone.now()
    old_open = ReportFactory(
        district=g.district, location=g.household.location, status=Report.Status.SUBMITTED,
        submitted_at=now - dt.timedelta(days=400), status_changed_at=now - dt.timedelta(days=400),
    )  # fmt: skip
    recent_closed = ReportFactory(
        district=g.district, location=g.household.location, status=Report.Status.VERIFIED,
        status_changed_at=now - dt.timedelta(days=5),
    )  # fmt: skip
    ReportFactory(
        district=g.district, location=g.household.location, status=Report.Status.VERIFIED,
        status_changed_at=now - dt.timedelta(days=45),
    )  # fmt: skip
    points = decode(get_tile(g.staff, "reports", tile_of(g.household.location, 15)))
    assert sorted(p["id"] for p in points) == sorted([old_open.pk, recent_closed.pk])
    assert all(set(p["properties"]) == {"kind", "status", "in_zone", "district_id"} for p in points)
    assert {p["properties"]["status"] for p in points} == {"submitted", "verified"}

    cells = props(decode(get_tile(g.leader, "reports", tile_of(g.household.location, 8))))
    assert sum(c["n"] for c in cells) == 2
    assert sum(c["open"] for c in cells) == 1


def test_reports_tile_honours_the_workspace_filters(g):
    ReportFactory(district=g.district, location=g.household.location, kind=Report.Kind.TREE)
    ReportFactory(district=g.district, location=g.household.location, kind=Report.Kind.DAMAGE)
    zxy = tile_of(g.household.location, 15)
    got = props(decode(get_tile(g.staff, "reports", zxy, data={"kind": "damage"})))
    assert [p["kind"] for p in got] == ["damage"]
    assert len(decode(get_tile(g.staff, "reports", zxy))) == 2


# --- gzip, cache, invalidation ------------------------------------------------------------


def test_tile_is_gzipped_private_and_plain_for_a_client_without_gzip(g):
    zxy = tile_of(g.household.location, 16)
    zipped = get_tile(g.staff, "households", zxy)
    assert zipped["Content-Encoding"] == "gzip"
    assert zipped["Cache-Control"] == "private, no-cache"
    assert "Accept-Encoding" in zipped["Vary"]
    assert zipped.content[:2] == b"\x1f\x8b"
    plain = get_tile(g.staff, "households", zxy, gzip_ok=False)
    assert "Content-Encoding" not in plain
    assert plain.content == gzip.decompress(zipped.content)
    assert decode(plain)[0]["id"] == g.household.pk


def test_a_cached_tile_is_served_until_its_grid_changes(g, django_capture_on_commit_callbacks):
    zxy = tile_of(g.household.location, 16)
    first = get_tile(g.staff, "households", zxy)
    etag = first["ETag"]
    assert get_tile(g.staff, "households", zxy, HTTP_IF_NONE_MATCH=etag).status_code == 304

    # Changed behind the services' back: the cached tile still answers.
    Household.objects.filter(pk=g.household.pk).update(is_aquaculture=True)
    assert props(decode(get_tile(g.staff, "households", zxy)))[0]["is_aquaculture"] is False

    # A change announced for this grid makes the tile stale once committed.
    with django_capture_on_commit_callbacks(execute=True):
        ledger_changed.send(sender=Household, district_ids=[g.district.pk])
    fresh = get_tile(g.staff, "households", zxy, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert props(decode(fresh))[0]["is_aquaculture"] is True


def test_a_change_elsewhere_leaves_the_tile_cached(g, django_capture_on_commit_callbacks):
    zxy = tile_of(g.household.location, 16)
    etag = get_tile(g.staff, "households", zxy)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        ledger_changed.send(sender=Household, district_ids=[g.other_district.pk])
        ledger_changed.send(sender=Report, district_ids=[g.district.pk])  # not this layer
    assert get_tile(g.staff, "households", zxy, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_submitted_report_appears_in_its_tile(g, django_capture_on_commit_callbacks):
    data = {"client_id": str(uuid.uuid4()), **tree_data()}
    zxy = tile_of(Point(data["lon"], data["lat"], srid=4326), 15)
    before = get_tile(g.staff, "reports", zxy)
    assert decode(before) == []
    client = Client()
    client.force_login(g.villager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/patrols/reports/", data)
    assert response.status_code == 201, response.content
    after = get_tile(g.staff, "reports", zxy, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert [f["id"] for f in decode(after)] == [response.json()["id"]]


def test_tiles_are_served_uncached_when_versions_cannot_be_read(g, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(tilecache, "_current_versions", unreachable)
    response = get_tile(g.staff, "households", tile_of(g.household.location, 16))
    assert "ETag" not in response
    assert decode(response)[0]["id"] == g.household.pk


def test_a_household_moved_in_the_admin_leaves_its_old_tile(g, django_capture_on_commit_callbacks):
    from django.contrib import admin
    from django.test import RequestFactory

    old = tile_of(g.household.location, 16)
    assert len(decode(get_tile(g.staff, "households", old))) == 1
    household = Household.objects.get(pk=g.household.pk)
    household.location = Point(g.household.location.x + 0.01, g.household.location.y, srid=4326)
    request = RequestFactory().post("/admin/")
    request.user = g.staff
    with django_capture_on_commit_callbacks(execute=True):
        admin.site._registry[Household].save_model(request, household, None, True)
    assert decode(get_tile(g.staff, "households", old)) == []
    assert len(decode(get_tile(g.staff, "households", tile_of(household.location, 16)))) == 1


def test_zoomed_out_reports_are_one_cell_not_one_feature_per_report(g):
    for _ in range(60):
        ReportFactory(
            district=g.district, location=g.household.location, segment=g.segment_west,
            distance_m=2.0, in_zone=True,
        )  # fmt: skip
    response = get_tile(g.staff, "reports", tile_of(g.household.location, 10))
    cells = props(decode(response))
    assert cells == [{"n": 60, "open": 60, "urgent": 60}]
    assert len(response.content) < 200  # one point and three numbers, gzipped


def test_report_search_finds_old_reports_by_number_and_words_a_page_at_a_time(g):
    old = timezone.now() - dt.timedelta(days=900)
    reports = [
        ReportFactory(
            district=g.district, location=g.household.location, status=Report.Status.VERIFIED,
            note=f"杨树 {i}", submitted_at=old, status_changed_at=old,
        )
        for i in range(3)
    ]  # fmt: skip
    assert decode(get_tile(g.staff, "reports", tile_of(g.household.location, 15))) == []
    client = Client()
    client.force_login(g.staff)
    page = client.get("/api/patrols/reports/", {"q": "杨树", "limit": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    found = client.get("/api/patrols/reports/", {"q": f"#{reports[1].pk}"}).json()
    assert [r["id"] for r in found["results"]] == [reports[1].pk]
    too_long = client.get("/api/patrols/reports/", {"q": "x" * 101})
    assert too_long.status_code == 400 and "q" in too_long.json()


def test_points_are_placed_to_half_a_pixel_and_lines_finer(g):
    from houhu.lib import mvt

    def layer_of(response) -> dict:
        return next(iter(mapbox_vector_tile.decode(gzip.decompress(response.content)).values()))

    zxy = tile_of(g.household.location, 16)
    households = layer_of(get_tile(g.staff, "households", zxy))
    assert households["extent"] == mvt.POINT_EXTENT == 512
    (x, y) = households["features"][0]["geometry"]["coordinates"]
    assert 0 <= x <= 512 and 0 <= y <= 512
    segments = layer_of(get_tile(g.staff, "segments", tile_of(g.segment_west.geom.centroid, 14)))
    assert segments["extent"] == mvt.EXTENT == 4096
