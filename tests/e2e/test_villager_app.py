"""The villager app on a phone in Debian's Chromium: after one visit with signal every
villager page opens without it, a report written offline is sent exactly once when the
signal returns, and "my records" pages and filters with the place drawn on a report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point

from patrols.models import Report, ReportPhoto
from tests.e2e.test_patrols import (
    WAIT_MS,
    _fill_tree_report,
    _jpeg,
    _phone_at,
    demo_district,
    login,
)
from tests.e2e.test_pledges_pages import scene
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
