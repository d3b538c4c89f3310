"""End to end in Debian's Chromium: a villager signs the compact on a phone-sized screen,
and the station's coverage map shows the segment in front of their door change colour."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.contrib.gis.geos import LineString

from houhu.accounts.models import User
from pledges.models import Assignment, Pledge
from tests.conftest import login
from tests.factories import (
    DistrictFactory,
    HouseholdFactory,
    LineFactory,
    SegmentFactory,
    TransformerAreaFactory,
    UserFactory,
    VillageFactory,
    point,
    villager_for,
)
from tests.pledges.factories import ClauseFactory, CompactFactory, PublishedVersionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGNED_COLOUR = "#0b6e4f"  # pledges.views.SHARE_BANDS, top band
UNSIGNED_COLOUR = "#d0342c"


@pytest.fixture
def scene():
    district = DistrictFactory()
    ta = TransformerAreaFactory(district=district)
    village = VillageFactory(station=district.station)
    line = LineFactory(station=district.station, geom=LineString(point(0, 0), point(300, 0)))
    segment = SegmentFactory(line=line, district=district, transformer_area=ta, geom=line.geom)
    household = HouseholdFactory(transformer_area=ta, village=village, location=point(100, -12))
    # The household's front door is this segment (confirmed by staff), so its pledge
    # is the segment's whole signed share.
    Assignment.objects.create(
        scope="front_door",
        district=district,
        segment=segment,
        household=household,
        valid_from=dt.date(2024, 1, 1),
        front_door_state="confirmed",
        distance_m=12.0,
    )
    version = PublishedVersionFactory(
        compact=CompactFactory(station=district.station, title="后湖供电所村规民约"),
        number=1,
        effective_from=dt.date(2024, 1, 1),
    )
    ClauseFactory(version=version, number=1, text="保护电力线路和配电设施, 防外力破坏")
    ClauseFactory(version=version, number=2, kind="tree_clearing", text="清理树障")
    villager = villager_for(household)
    staff = UserFactory(role=User.Role.STAFF, station=district.station, username="staff-e2e")
    return {
        "segment": segment,
        "household": household,
        "villager": villager,
        "staff": staff,
        "district": district,
    }


def _segment_state(page, segment_id: int):
    return page.evaluate(
        """(id) => {
            const s = window.pledgesCoverageMap;
            const f = s.features.find(f => (f.id ?? f.properties.id) === id);
            return f ? {share: f.properties.signed_share, colour: s.colourOf(id)} : null;
        }""",
        segment_id,
    )


def test_villager_signs_on_a_phone_and_staff_sees_coverage_change(
    live_server, browser, phone_page, page, scene, tmp_path
):
    seg_id = scene["segment"].pk
    shots = Path(os.environ.get("HOUHU_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    # Staff open the coverage map first: the segment's households are all unsigned.
    login(page, live_server.url, scene["staff"].username)
    page.goto(f"{live_server.url}/pledges/staff/coverage/")
    page.wait_for_function("() => window.pledgesCoverageMap && window.pledgesCoverageMap.ready")
    page.check("input[name=colour-by][value=share]")
    before = _segment_state(page, seg_id)
    assert before == {"share": 0.0, "colour": UNSIGNED_COLOUR}
    page.screenshot(path=str(shots / "e2e-coverage-before.png"))

    # The villager, on a phone, reads the compact and signs it.
    login(phone_page, live_server.url, scene["villager"].username)
    phone_page.goto(f"{live_server.url}/pledges/")
    assert phone_page.locator("ol.clauses li").count() == 2
    assert phone_page.get_by_text("你包片、我包段、家家户户包门前").first.is_visible()
    # Leaflet is not loaded on the villager's page.
    assert phone_page.evaluate("typeof window.L") == "undefined"
    phone_page.screenshot(path=str(shots / "e2e-villager-to-sign.png"), full_page=True)
    phone_page.check("input[name=confirm]")
    phone_page.click("#sign-form button[type=submit]")
    phone_page.wait_for_load_state("networkidle")
    phone_page.screenshot(path=str(shots / "e2e-villager-signed.png"), full_page=True)
    assert phone_page.locator("#sign-form").count() == 0
    pledge = Pledge.objects.get(household=scene["household"])
    assert (pledge.status, pledge.method) == ("active", "online")

    # Staff refresh the layer and see the segment turn to fully signed.
    before_stamp = page.evaluate("document.getElementById('coverage-map').dataset.loaded")
    page.click("#coverage-reload")
    page.wait_for_function(
        "(s) => document.getElementById('coverage-map').dataset.loaded !== s", arg=before_stamp
    )
    after = _segment_state(page, seg_id)
    assert after == {"share": 1.0, "colour": SIGNED_COLOUR}
    page.screenshot(path=str(shots / "e2e-coverage-after.png"))
