"""The station map in Debian's Chromium, with no tile server (LEAFLET_CONFIG TILES = []):
staff see the grid, segment and household layers with the counts the database holds, a
legend, popups with the grid manager's phone, a district filter, and the page in English
after switching language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.gis.geos import LineString

from houhu.accounts.models import User
from houhu.grid.models import District, Household, Segment
from tests.conftest import login
from tests.factories import (
    DistrictFactory,
    HouseholdFactory,
    LineFactory,
    SegmentFactory,
    TransformerAreaFactory,
    UserFactory,
    manager_of,
    point,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT_MS = 20_000
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def station():
    """Two side-by-side grids (2 km squares), 5 + 3 households, one line cut in 4."""
    d1 = DistrictFactory(manager_phone="13972800001")
    d2 = DistrictFactory(station=d1.station, manager_phone="13972800002")
    manager_of(d1, display_name="李台区")
    ta1 = TransformerAreaFactory(district=d1)
    ta2 = TransformerAreaFactory(district=d2)
    x1, y1 = d1.boundary.centroid.coords
    x2, y2 = d2.boundary.centroid.coords
    for i in range(5):
        HouseholdFactory(transformer_area=ta1, location=point(100 * i, 50, x0=x1, y0=y1))
    for i in range(3):
        HouseholdFactory(transformer_area=ta2, location=point(100 * i, -50, x0=x2, y0=y2))
    line = LineFactory(
        station=d1.station, geom=LineString((x1 - 0.008, y1), (x2 + 0.008, y2), srid=4326)
    )
    xs = [x1 - 0.008, x1, x1 + 0.01, x2, x2 + 0.008]
    for seq in range(4):
        SegmentFactory(
            line=line,
            seq=seq,
            district=d1 if seq < 2 else d2,
            geom=LineString((xs[seq], y1), (xs[seq + 1], y1), srid=4326),
        )
    staff = UserFactory(role=User.Role.STAFF, station=d1.station)
    return {"d1": d1, "d2": d2, "staff": staff}


def open_map(page, base_url: str, username: str) -> dict:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    login(page, base_url, username)
    page.goto(f"{base_url}/map/")
    try:
        page.wait_for_function("() => window.houhuMapReady === true", timeout=WAIT_MS)
    except Exception:
        state = (page.url, page.content()[:3000])
        pytest.fail(f"map never became ready; browser errors: {errors}; state: {state}")
    return json.loads(page.get_attribute("#map", "data-layer-counts"))


def test_staff_sees_grid_segment_and_household_layers_matching_the_database(
    live_server, page, station
):
    counts = open_map(page, live_server.url, station["staff"].username)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "map-staff.png"))

    assert counts["districts"] == District.objects.count() == 2
    assert counts["segments"] == Segment.objects.count() == 4
    assert counts["households"] == Household.objects.filter(is_active=True).count() == 8
    assert counts["transformer-areas"] == 2
    assert counts["lines"] == 1
    assert page.evaluate("stationMap.map.getZoom()") >= 13  # households are drawn

    # No tile server: nothing but vector layers on the plain background.
    assert page.locator(".leaflet-tile").count() == 0
    assert "houhu-map--plain" in page.get_attribute("#map", "class")

    legend = page.locator(".houhu-legend")
    assert legend.locator("li[data-layer=districts] .count").inner_text() == "2"
    assert legend.locator("li[data-layer=households] .count").inner_text() == "8"
    assert "图例" in legend.inner_text()
    assert "供电服务网格" in legend.inner_text()


def test_district_popup_shows_the_grid_manager_and_posted_phone(live_server, page, station):
    open_map(page, live_server.url, station["staff"].username)
    d1 = station["d1"]
    page.evaluate(
        """id => stationMap.overlays.districts.eachLayer(
             l => { if (l.feature.properties.id === id) l.openPopup(); })""",
        d1.pk,
    )
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=WAIT_MS)
    assert d1.name in popup.inner_text()
    assert "李台区" in popup.inner_text()
    assert popup.locator('a[href="tel:13972800001"]').count() == 1


def test_district_filter_shows_only_that_grid(live_server, page, station):
    open_map(page, live_server.url, station["staff"].username)
    page.select_option("#district-filter", str(station["d2"].pk))
    page.wait_for_function(
        "() => JSON.parse(document.getElementById('map').dataset.layerCounts).districts === 1"
        " && window.houhuMapReady === true",
        timeout=WAIT_MS,
    )
    counts = json.loads(page.get_attribute("#map", "data-layer-counts"))
    assert (
        counts["households"]
        == Household.objects.filter(transformer_area__district=station["d2"]).count()
        == 3
    )
    assert counts["segments"] == 2
    assert f"district={station['d2'].pk}" in page.url


def test_leader_sees_households_without_names(live_server, page, station):
    leader = UserFactory(role=User.Role.LEADER, county=station["d1"].station.county)
    counts = open_map(page, live_server.url, leader.username)
    assert counts["households"] == 8
    names = page.evaluate(
        "stationMap.overlays.households.getLayers().map(l => l.feature.properties.head_name)"
    )
    assert names and all(name is None for name in names)


def test_switching_to_english_changes_the_interface(live_server, page, station):
    open_map(page, live_server.url, station["staff"].username)
    assert "供电所地图" in page.locator("h1").inner_text()
    page.click("button[name=language][value=en]")
    page.wait_for_function("() => window.houhuMapReady === true", timeout=WAIT_MS)
    assert page.locator("h1").inner_text() == "Station map"
    assert "Legend" in page.locator(".houhu-legend").inner_text()
    assert page.locator("nav.topnav a[data-nav=map]").inner_text() == "Map"
    page.screenshot(path=str(SHOTS / "map-staff-en.png"))


def test_grid_manager_sees_only_own_grid(live_server, page, station):
    manager = station["d1"].manager
    counts = open_map(page, live_server.url, manager.username)
    assert counts["districts"] == 1
    assert counts["households"] == 5
    assert page.locator("#district-filter option").count() == 2  # "all" + own grid


def test_zoomed_out_households_are_counted_cells_of_the_vector_tiles(live_server, page, station):
    open_map(page, live_server.url, station["staff"].username)
    min_zoom = page.evaluate("HouhuMap.HOUSEHOLD_MIN_ZOOM")
    page.evaluate(f"window.houhuMapReady = false; void stationMap.map.setZoom({min_zoom - 3})")
    page.wait_for_function("() => window.houhuMapReady === true", timeout=WAIT_MS)
    # The households' GeoJSON is gone; the tiles' cells (counted by PostGIS) are drawn.
    page.wait_for_function(
        "() => document.querySelector('.houhu-legend li[data-layer=households] .count')"
        ".textContent === '8'",
        timeout=WAIT_MS,
    )
    assert page.evaluate("stationMap.overlays.households.getLayers().length") == 0
    drawn = json.loads(page.get_attribute("#map", "data-tiles-households"))
    assert drawn["total"] == 8 and drawn["points"] == 0 and 1 <= drawn["cells"] < 8
    assert page.locator("#map canvas.leaflet-tile").count() >= 1
    counts = json.loads(page.get_attribute("#map", "data-layer-counts"))
    assert counts["households"] == 8 and counts["districts"] == 2

    page.evaluate("window.houhuMapReady = false; stationMap.fitToDistricts()")
    page.wait_for_function("() => window.houhuMapReady === true", timeout=WAIT_MS)
    counts = json.loads(page.get_attribute("#map", "data-layer-counts"))
    assert counts["households"] == 8
    assert page.evaluate("stationMap.overlays.households.getLayers().length") == 8
