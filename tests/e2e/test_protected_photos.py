"""In Chromium, under the CSP: a villager's report page shows its photo from the
permission-checked view (/files/report-photo/<id>/thumb/), with the session's cookie; the
same URL in a browser that is not signed in gets no image."""

from __future__ import annotations

import uuid

import pytest

from patrols.photos import make_thumbnails
from tests.e2e.test_patrols import login
from tests.patrols.factories import build_grid, image_file, submit, tree_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT_MS = 20_000


def test_a_report_page_shows_its_photo_only_to_a_reader(live_server, phone_page, browser):
    g = build_grid()
    report, _ = submit(
        reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(), photos=[image_file()]
    )
    photo = report.photos.get()
    make_thumbnails([photo.pk])
    login(phone_page, live_server.url, g.villager.username)
    phone_page.goto(f"{live_server.url}/patrols/mine/{report.pk}/")
    img = phone_page.wait_for_selector(
        f"img[src='/files/report-photo/{photo.pk}/thumb/']", timeout=WAIT_MS
    )
    phone_page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img)
    assert img.evaluate("(img) => img.naturalWidth") > 0
    assert "/media/" not in phone_page.content()

    stranger = browser.new_context()
    try:
        answer = stranger.request.get(f"{live_server.url}/files/report-photo/{photo.pk}/thumb/")
        assert answer.status in (401, 403)
        assert not answer.headers.get("content-type", "").startswith("image/")
    finally:
        stranger.close()
