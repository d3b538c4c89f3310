"""Every page of the compact opens in Chromium without a script error, with no tile server,
on the screen size its users have. Screenshots go to $HOUHU_SCREENSHOTS when set (for a
human look), else to the test's temporary directory."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.contrib.gis.geos import LineString

from houhu.accounts.models import User
from pledges.models import Assignment
from tests.conftest import login
from tests.factories import (
    DistrictFactory,
    HouseholdFactory,
    LineFactory,
    SegmentFactory,
    TransformerAreaFactory,
    UserFactory,
    VillageFactory,
    manager_of,
    point,
    villager_for,
)
from tests.pledges.factories import (
    ClauseFactory,
    CompactFactory,
    PledgeFactory,
    PublishedVersionFactory,
    SegmentAssignmentFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLAUSES = [
    ("protection", "保护10千伏线路和配电设施, 防外力破坏, 群防群治。"),
    (
        "no_build",
        "线路保护区内(10千伏导线两侧5米)不建房、不种高杆树木、不挖土打桩, 确需施工先告知供电所。",
    ),
    ("tree_clearing", "发现树障及时清理或报告台区经理。"),
    ("rcd", "户用漏电保护器必须安装并每月试跳。"),
    ("temporary_power", "临时用电(如灌溉水泵)向供电所正式申请。"),
    (
        "unsafe_behaviour",
        "九个不见了: 私拉乱接、线晾衣物、线下建房、线下钓鱼、带电放线、"
        "湿手摸电、拉线栓牛、替代保险、电器乱搬。",
    ),
]


@pytest.fixture
def scene():
    district = DistrictFactory(name="关庙网格")
    c = district.boundary.centroid
    ta = TransformerAreaFactory(district=district)
    village = VillageFactory(station=district.station, name="张家窑分场村")
    segments = []
    for i in range(4):
        line = LineFactory(
            station=district.station,
            geom=LineString(
                point(-400 + 200 * i, 0, x0=c.x, y0=c.y), point(-200 + 200 * i, 60, x0=c.x, y0=c.y)
            ),
        )
        segments.append(
            SegmentFactory(line=line, district=district, transformer_area=ta, geom=line.geom)
        )
    households = [
        HouseholdFactory(
            transformer_area=ta, village=village, location=point(-350 + 90 * i, -20, x0=c.x, y0=c.y)
        )
        for i in range(8)
    ]
    version = PublishedVersionFactory(
        compact=CompactFactory(station=district.station, title="后湖供电所村规民约"),
        number=2,
        effective_from=dt.date(2024, 1, 1),
    )
    for n, (kind, text) in enumerate(CLAUSES, start=1):
        ClauseFactory(version=version, number=n, kind=kind, text=text)
    for h, seg in zip(households, [0, 0, 1, 1, 2, 2, 3, 3], strict=True):
        Assignment.objects.create(
            scope="front_door",
            district=district,
            segment=segments[seg],
            household=h,
            valid_from=dt.date(2024, 1, 1),
            front_door_state="confirmed",
            distance_m=20.0,
        )
    for h in households[:3]:
        PledgeFactory(household=h, version=version)
    PledgeFactory(
        household=households[5], version=version, signed_at=dt.datetime(2023, 1, 5, tzinfo=dt.UTC)
    )
    villager = villager_for(households[0], display_name="张大爷")
    SegmentAssignmentFactory(segment=segments[0], person_name="", user=villager)
    SegmentAssignmentFactory(segment=segments[1], person_name="护线员老李")
    manager = manager_of(district, display_name="王经理")
    district.manager_phone = "13972800001"
    district.save(update_fields=["manager_phone"])
    staff = UserFactory(role=User.Role.STAFF, station=district.station)
    return {
        "villager": villager,
        "manager": manager,
        "staff": staff,
        "version": version,
        "household": households[0],
        "district": district,
    }


def _shots_dir(tmp_path: Path) -> Path:
    out = Path(os.environ.get("HOUHU_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _visit(page, url: str, shot: Path, errors: list[str], full_page: bool = True) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shot), full_page=full_page)
    assert not errors, f"script errors on {url}: {errors}"


def test_villager_pages_on_a_phone(live_server, phone_page, scene, tmp_path):
    out = _shots_dir(tmp_path)
    errors: list[str] = []
    phone_page.on("pageerror", lambda e: errors.append(str(e)))
    login(phone_page, live_server.url, scene["villager"].username)
    _visit(phone_page, live_server.url + "/", out / "villager-home.png", errors)
    assert phone_page.locator("#pledge-card").is_visible()
    _visit(phone_page, f"{live_server.url}/pledges/", out / "villager-compact.png", errors)
    assert phone_page.locator("ol.clauses li").count() == len(CLAUSES)
    # The villager's critical path (HTML + CSS, no map library) stays far inside the
    # 170 KB budget of a cheap phone on weak signal (../shared/stack-notes.md).
    page_bytes = phone_page.evaluate(
        """() => performance.getEntriesByType('navigation')
              .concat(performance.getEntriesByType('resource'))
              .reduce((n, e) => n + (e.encodedBodySize || 0), 0)"""
    )
    print(f"villager compact page: {page_bytes} bytes")
    assert page_bytes < 60_000
    _visit(
        phone_page,
        f"{live_server.url}/pledges/me/responsibility/",
        out / "villager-resp.png",
        errors,
    )
    assert phone_page.evaluate("typeof window.L") == "undefined"
    phone_page.click("#show-my-map")
    phone_page.wait_for_function("() => document.getElementById('my-map').dataset.loaded")
    # Home, the segment they guard and their front door.
    assert phone_page.evaluate("document.getElementById('my-map').dataset.loaded") == "3"
    phone_page.screenshot(path=str(out / "villager-resp-map.png"), full_page=True)
    assert not errors


@pytest.mark.parametrize(
    "path,name",
    [
        ("/pledges/staff/", "staff-home"),
        ("/pledges/staff/compacts/", "compacts"),
        ("/pledges/staff/paper/?q=户主", "paper"),
        ("/pledges/staff/renewals/", "renewals"),
        ("/pledges/staff/coverage/tables/", "coverage-tables"),
        ("/pledges/staff/import/", "import"),
    ],
)
def test_staff_pages_open_without_script_errors(live_server, page, scene, tmp_path, path, name):
    out = _shots_dir(tmp_path)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server.url, scene["manager"].username)
    _visit(page, live_server.url + path, out / f"{name}.png", errors)


def test_paper_signing_form_for_a_household(live_server, page, scene, tmp_path):
    out = _shots_dir(tmp_path)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server.url, scene["manager"].username)
    _visit(
        page,
        f"{live_server.url}/pledges/staff/paper/?household={scene['household'].pk}",
        out / "paper-household.png",
        errors,
    )
    assert page.locator("#paper-form input[type=file]").count() == 1
    assert page.locator("#pledge-history").is_visible()


def test_version_page_and_pledge_card(live_server, page, scene, tmp_path):
    out = _shots_dir(tmp_path)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server.url, scene["staff"].username)
    _visit(
        page,
        f"{live_server.url}/pledges/staff/versions/{scene['version'].pk}/",
        out / "version.png",
        errors,
    )
    page.click("#new-version-form button")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / "draft.png"), full_page=True)
    _visit(
        page,
        f"{live_server.url}/pledges/households/{scene['household'].pk}/card/",
        out / "card.png",
        errors,
    )
    page.emulate_media(media="print")
    page.screenshot(path=str(out / "card-print.png"), full_page=True)
    page.pdf(path=str(out / "card.pdf"), format="A5")


def test_assignment_map_selects_segments_by_click(live_server, page, scene, tmp_path):
    out = _shots_dir(tmp_path)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server.url, scene["manager"].username)
    page.goto(f"{live_server.url}/pledges/staff/assign/")
    page.wait_for_function("() => document.getElementById('assign-map').dataset.loaded === '1'")
    # Toggle the first segment through Leaflet's own click event on its layer.
    page.evaluate(
        "() => { const l = window.pledgesAssignMap.segments.getLayers()[0]; l.fire('click'); }"
    )
    assert page.input_value("#id_segments") != ""
    page.screenshot(path=str(out / "assign.png"), full_page=True)
    assert not errors


def test_coverage_map_draws_segments_with_a_legend(live_server, page, scene, tmp_path):
    out = _shots_dir(tmp_path)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server.url, scene["manager"].username)
    page.goto(f"{live_server.url}/pledges/staff/coverage/")
    page.wait_for_function("() => window.pledgesCoverageMap && window.pledgesCoverageMap.ready")
    assert page.evaluate("window.pledgesCoverageMap.features.length") == 4
    page.screenshot(path=str(out / "coverage-responsible.png"))
    page.check("input[name=colour-by][value=share]")
    page.screenshot(path=str(out / "coverage-share.png"))
    assert not errors


def test_derive_front_doors_button_shows_progress_until_done(
    live_server, page, scene, tmp_path, celery_worker
):
    out = _shots_dir(tmp_path)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    Assignment.objects.filter(scope="front_door").delete()
    login(page, live_server.url, scene["manager"].username)
    page.goto(f"{live_server.url}/pledges/staff/assign/")
    page.click("#derive-form button[type=submit]")
    page.wait_for_selector("#task-progress[data-state=SUCCESS]", timeout=60_000)
    page.screenshot(path=str(out / "derive-done.png"))
    assert "8" in page.inner_text(".progress-text")
    assert Assignment.objects.filter(scope="front_door", front_door_state="proposed").count() == 8
    assert not errors


def test_csv_import_page_lists_every_rejected_row(live_server, page, scene, tmp_path):
    out = _shots_dir(tmp_path)
    login(page, live_server.url, scene["manager"].username)
    page.goto(f"{live_server.url}/pledges/staff/import/")
    csv_path = tmp_path / "pledges.csv"
    csv_path.write_text(
        "customer_number,signed_on,signatory,witness\n"
        f"{scene['household'].customer_number},2024-13-01,户主,村主任\n"
        "9999999999,2024-05-01,户主,\n",
        encoding="utf-8",
    )
    page.set_input_files("input[name=file]", str(csv_path))
    page.click("#import-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / "import-report.png"), full_page=True)
    assert page.locator("#import-report tbody tr").count() == 2
