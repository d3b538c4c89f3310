"""The villager app on a phone in Debian's Chromium: after one visit with signal every
villager page opens without it, a report written offline is sent exactly once when the
signal returns, and "my records" pages and filters with the place drawn on a report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.gis.geos import LineString, Point

from houhu.grid.models import Line, Village
from patrols.models import Report, ReportPhoto, ReportSighting
from tests.e2e.test_patrols import (
    WAIT_MS,
    _fill_tree_report,
    _jpeg,
    _phone_at,
    demo_district,
    login,
)
from tests.e2e.test_pledges_pages import scene
from tests.factories import HouseholdFactory, villager_for
from tests.patrols.factories import ReportFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["demo_district", "scene"]  # fixtures shared with test_patrols, test_pledges_pages

VILLAGER_PAGES = {
    "/": ".household-card",
    "/pledges/": "main h1",
    "/pledges/me/responsibility/": "#show-my-map",
    "/patrols/report/": "#report-form",
    "/patrols/mine/": "#reports",
}


def test_every_villager_page_opens_offline_and_an_offline_report_is_sent_once(
    phone_page, live_server, demo_district
):
    villager = demo_district["villager"]
    _phone_at(phone_page, live_server, *demo_district["near"])
    login(phone_page, live_server.url, villager.username)
    # One visit with signal, to the home page only: the worker fetches the others.
    phone_page.goto(f"{live_server.url}/")
    phone_page.wait_for_selector("html[data-offline-ready='5/5']", timeout=WAIT_MS)

    phone_page.context.set_offline(True)
    for path, selector in VILLAGER_PAGES.items():
        response = phone_page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        phone_page.wait_for_selector(selector, state="attached", timeout=WAIT_MS)
        # Styled from the cache too: the top bar has its colour.
        colour = phone_page.evaluate(
            "getComputedStyle(document.querySelector('.topbar')).backgroundColor"
        )
        assert colour == "rgb(11, 110, 79)", path

    # A report written with no signal waits on the phone, shown as waiting.
    phone_page.goto(f"{live_server.url}/patrols/report/")
    _fill_tree_report(phone_page, trees="2")
    phone_page.click("#submit")
    phone_page.wait_for_selector("#outbox[data-waiting='1']", timeout=WAIT_MS)
    phone_page.goto(f"{live_server.url}/patrols/mine/")
    phone_page.wait_for_selector("#waiting[data-count='1']", timeout=WAIT_MS)
    assert phone_page.locator("#phone-outbox").is_visible()
    assert Report.objects.filter(reporter=villager).count() == 0

    # Signal again: sent once, then listed as sent.
    phone_page.context.set_offline(False)
    phone_page.wait_for_selector("#sent[data-count='1']", timeout=WAIT_MS)
    assert phone_page.locator("#waiting li").count() == 0
    phone_page.reload()
    phone_page.wait_for_selector("#sent[data-count='1']", timeout=WAIT_MS)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    phone_page.wait_for_load_state("networkidle")
    assert Report.objects.filter(reporter=villager).count() == 1
    assert Report.objects.get(reporter=villager).tree_count == 2
    # The home page says so too: nothing waiting, one sent.
    phone_page.goto(f"{live_server.url}/")
    phone_page.wait_for_selector("#patrols-sent[data-count='1']", timeout=WAIT_MS)
    assert phone_page.locator("#patrols-waiting").is_hidden()


def test_my_records_page_and_filter_and_a_report_shows_its_place(
    phone_page, live_server, demo_district
):
    villager = demo_district["villager"]
    district = demo_district["district"]
    lon, lat = demo_district["near"]

    reports = [
        ReportFactory(
            reporter=villager,
            district=district,
            segment=demo_district["segment"],
            location=Point(lon, lat, srid=4326),
            status=Report.Status.SUBMITTED if i < 5 else Report.Status.REJECTED,
        )
        for i in range(25)
    ]
    login(phone_page, live_server.url, villager.username)
    api_calls: list[str] = []
    phone_page.on(
        "request", lambda r: api_calls.append(r.url) if "/api/patrols/reports" in r.url else None
    )
    phone_page.goto(f"{live_server.url}/patrols/mine/")
    assert phone_page.locator("#reports li").count() == 20
    phone_page.click("a[rel=next]")
    phone_page.wait_for_url("**page=2**")
    assert phone_page.locator("#reports li").count() == 5
    phone_page.click("#open-only")
    phone_page.wait_for_url("**open=1**")
    assert phone_page.locator("#reports li").count() == 5
    assert not api_calls  # the list is in the page

    phone_page.click(f"a[data-report='{reports[0].pk}']")
    phone_page.wait_for_selector("#place-map[data-segments='1']", timeout=WAIT_MS)
    assert phone_page.locator("#place-map svg .pm-point").count() == 1
    assert len([u for u in api_calls if f"/reports/{reports[0].pk}/" in u]) == 1


def test_photo_control_takes_previews_counts_and_removes_photos(
    phone_page, live_server, demo_district
):
    villager = demo_district["villager"]
    _phone_at(phone_page, live_server, *demo_district["near"])
    login(phone_page, live_server.url, villager.username)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    take = phone_page.locator("label.photo-take")
    box = take.bounding_box()
    assert box["width"] >= 120 and box["height"] >= 48
    assert take.inner_text().strip().endswith("拍照")
    # The native "no file chosen" input is out of sight; the camera opens from the button.
    assert phone_page.locator("#photos").get_attribute("capture") == "environment"
    assert phone_page.locator("#photos").bounding_box()["width"] <= 1

    _fill_tree_report(phone_page)
    files = [
        {"name": f"tree{i}.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((40 * i, 120, 40))}
        for i in range(3)
    ]
    phone_page.set_input_files("#photos", files=files[:2])
    phone_page.wait_for_selector("#photo-count[data-count='2']", timeout=WAIT_MS)
    phone_page.set_input_files("#photos-gallery", files=files[2:])
    phone_page.wait_for_selector("#photo-count[data-count='3']", timeout=WAIT_MS)
    assert phone_page.locator("#photo-list img").count() == 3
    assert "3" in phone_page.inner_text("#photo-count")
    remove = phone_page.locator("#photo-list .photo-remove").nth(1)
    rbox = remove.bounding_box()
    assert rbox["width"] >= 44 and rbox["height"] >= 44
    remove.click()
    phone_page.wait_for_selector("#photo-count[data-count='2']", timeout=WAIT_MS)
    assert phone_page.locator("#photo-list img").count() == 2

    phone_page.click("#submit")
    phone_page.wait_for_selector("#done:not([hidden])", timeout=WAIT_MS)
    report = Report.objects.get(reporter=villager)
    assert ReportPhoto.objects.filter(report=report).count() == 2


MEASURE = (Path(__file__).parent / "measure_targets.js").read_text()


def test_villager_pages_have_big_targets_and_text_at_360_px(phone_page, live_server, scene):
    villager = scene["villager"]
    report = ReportFactory(reporter=villager, district=scene["district"], note="树枝碰线")
    for _ in range(21):
        ReportFactory(reporter=villager, district=scene["district"])
    login(phone_page, live_server.url, villager.username)
    pages = [
        "/",
        "/pledges/",
        "/pledges/me/responsibility/",
        "/patrols/report/",
        "/patrols/mine/",
        "/patrols/mine/?page=2",
        f"/patrols/mine/{report.pk}/",
        "/password/",
    ]
    problems = {}
    for path in pages:
        phone_page.goto(f"{live_server.url}{path}")
        phone_page.wait_for_load_state("networkidle")
        if path == "/patrols/report/":  # the choices of a kind are shown once it is picked
            phone_page.click("label.kind-behaviour")
        found = phone_page.evaluate(MEASURE)
        if found["small"] or found["tiny_text"]:
            problems[path] = found
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    # The header's two account controls are apart, not touching.
    phone_page.goto(f"{live_server.url}/")
    a = phone_page.locator("form[data-logout] button").bounding_box()
    b = phone_page.locator("form.lang button").bounding_box()
    gap = max(
        b["x"] - (a["x"] + a["width"]),
        a["x"] - (b["x"] + b["width"]),
        b["y"] - (a["y"] + a["height"]),
        a["y"] - (b["y"] + b["height"]),
    )
    assert gap >= 8


def test_report_form_names_hazards_in_everyday_words_with_pictures(phone_page, live_server, scene):
    login(phone_page, live_server.url, scene["villager"].username)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    text = phone_page.inner_text("#report-form")
    assert "九个不见了" not in text
    assert "树枝碰到或靠近电线" in text
    icons = phone_page.locator(".kinds img")
    assert icons.count() == len(Report.Kind)
    assert all(
        phone_page.evaluate(
            "img => img.complete && img.naturalWidth > 0", icons.nth(i).element_handle()
        )
        for i in range(icons.count())
    )


def test_villager_told_of_the_same_hazard_nearby_adds_a_sighting_instead(
    phone_page, live_server, demo_district
):
    villager = demo_district["villager"]
    lon, lat = demo_district["near"]
    neighbour = villager_for(HouseholdFactory(transformer_area=villager.household.transformer_area))
    theirs = ReportFactory(
        reporter=neighbour,
        district=demo_district["district"],
        kind=Report.Kind.TREE,
        location=Point(lon, lat + 12 / 110_900, srid=4326),
        note="邻居的备注",
    )
    _phone_at(phone_page, live_server, lon, lat)
    login(phone_page, live_server.url, villager.username)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    _fill_tree_report(phone_page)
    phone_page.click("#submit")
    phone_page.wait_for_selector("#nearby:not([hidden])", timeout=WAIT_MS)
    text = phone_page.inner_text("#nearby")
    assert "12 米" in text and "邻居" not in text
    phone_page.click(f".nearby-add[data-report='{theirs.pk}']")
    phone_page.wait_for_selector("#done:not([hidden])", timeout=WAIT_MS)
    assert Report.objects.count() == 1
    sighting = ReportSighting.objects.get()
    assert sighting.report == theirs and sighting.by == villager

    # Something else after all: the villager's own report goes out.
    phone_page.click("#again")
    _fill_tree_report(phone_page, trees="5")
    phone_page.click("#submit")
    phone_page.wait_for_selector("#nearby:not([hidden])", timeout=WAIT_MS)
    phone_page.click("#nearby-send")
    phone_page.wait_for_selector("#done:not([hidden])", timeout=WAIT_MS)
    mine = Report.objects.get(reporter=villager)
    assert mine.tree_count == 5
    assert ReportSighting.objects.count() == 1


def test_pick_map_without_basemap_shows_houses_lines_names_home_and_position(
    phone_page, live_server, demo_district
):
    villager = demo_district["villager"]
    home = villager.household
    hx, hy = home.location.coords
    for i in (1, 2, 3, 4):
        HouseholdFactory(
            transformer_area=home.transformer_area,
            location=Point(hx + i * 30 / 96_000, hy, srid=4326),
        )
    Village.objects.filter(pk=home.village_id).update(centre=home.location)
    Line.objects.filter(pk=demo_district["segment"].line_id).update(
        name="10kV关庙线",
        geom=LineString((hx - 0.002, hy + 0.0002), (hx + 0.002, hy + 0.0002), srid=4326),
    )
    _phone_at(phone_page, live_server, hx + 0.0001, hy)
    login(phone_page, live_server.url, villager.username)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    phone_page.click("#loc-map")
    phone_page.wait_for_selector("#pick-map[data-home='1']", timeout=WAIT_MS)
    box = phone_page.locator("#pick-map")
    assert box.get_attribute("data-household") == "4"
    assert box.get_attribute("data-line") == "1"
    phone_page.wait_for_selector("#pick-map[data-here='1']", timeout=WAIT_MS)
    labels = phone_page.locator("#pick-map .vm-label").all_inner_texts()
    assert "10kV关庙线" in labels and "我家" in labels and "我在这里" in labels
    assert home.village.name in labels
    # No basemap configured: a plain background, no tile requested from anywhere.
    assert "houhu-map--plain" in box.get_attribute("class")
