"""No page scrolls sideways on a 360 px phone: every page of every role (villager, grid
manager, station staff, county leader) is opened at 360 x 740 in Chromium, in Chinese (the
longer words) and the width of the document must not exceed the screen's (+1 px for
rounding). A page that overflowed once: the printable monthly report, at 388 px."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from houhu.accounts.models import User
from tests.conftest import login
from tests.e2e.test_pledges_pages import scene  # noqa: F401 - the fixture
from tests.factories import UserFactory
from tests.patrols.factories import submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTH = 360

STAFF_PAGES = [
    "/", "/patrols/workspace/", "/map/", "/villagers/", "/password/",
    "/pledges/staff/", "/pledges/staff/compacts/",
    "/pledges/staff/versions/{version}/", "/pledges/staff/paper/?q=户",
    "/pledges/staff/paper/?household={household}", "/pledges/staff/renewals/",
    "/pledges/staff/renewals/?print=1", "/pledges/staff/visits/new/?household={household}",
    "/pledges/staff/assign/", "/pledges/staff/coverage/", "/pledges/staff/coverage/tables/",
    "/pledges/staff/import/", "/pledges/households/{household}/card/", "/patrols/report/",
]  # fmt: skip
PAGES = {
    "villager": [
        "/", "/patrols/report/", "/patrols/mine/", "/patrols/mine/{report}/", "/pledges/",
        "/pledges/me/responsibility/", "/password/",
    ],
    "manager": STAFF_PAGES,
    "staff": [*STAFF_PAGES, "/stats/", "/stats/report/?month={month}"],
    "leader": [
        "/", "/stats/", "/stats/report/", "/stats/report/?month={month}", "/map/",
        "/patrols/workspace/", "/pledges/staff/",
        "/pledges/staff/coverage/", "/pledges/staff/coverage/tables/", "/password/",
    ],
}  # fmt: skip


def _wide(page) -> dict:
    """The document's width and the widest elements sticking out (to name the culprit)."""
    return page.evaluate(
        """(limit) => {
            const out = [];
            for (const el of document.querySelectorAll("body *")) {
                const r = el.getBoundingClientRect();
                if (r.right > limit + 1 && r.width > 0) {
                    const cls = typeof el.className === "string" ? el.className : "";
                    out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                        (cls ? "." + cls.split(" ").join(".") : "") + " " + Math.round(r.right));
                }
            }
            return {width: document.scrollingElement.scrollWidth, culprits: out.slice(0, 6)};
        }""",
        WIDTH,
    )


@pytest.mark.parametrize("role", list(PAGES))
def test_no_page_scrolls_sideways_at_360_px(browser, live_server, scene, role):  # noqa: F811
    leader = UserFactory(role=User.Role.LEADER, county=scene["district"].station.county)
    report, _ = submit(
        reporter=scene["villager"],
        client_id=uuid.uuid4(),
        data={
            "kind": "tree", "lon": scene["household"].location.x,
            "lat": scene["household"].location.y, "accuracy_m": 6, "tree_count": 2,
            "note": "杨树靠线, 请尽快处理",
        },
    )  # fmt: skip
    # The figures, so that the dashboard and the monthly report show their tables.
    from stats.services import refresh_current

    refresh_current()
    people = {"villager": scene["villager"], "manager": scene["manager"], "staff": scene["staff"]}
    people["leader"] = leader
    ids = {
        "version": scene["version"].pk, "household": scene["household"].pk,
        "report": report.pk, "month": timezone.localdate().strftime("%Y-%m"),
    }  # fmt: skip

    context = browser.new_context(
        viewport={"width": WIDTH, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    try:
        login(page, live_server.url, people[role].username)
        wide = {}
        for path in PAGES[role]:
            url = live_server.url + path.format(**ids)
            response = page.goto(url)
            assert response.status == 200, f"{path}: {response.status}"
            page.wait_for_load_state("networkidle")
            if path.startswith("/stats/report/?"):  # the page that overflowed, with its tables
                assert page.locator("main table").count() >= 2
            found = _wide(page)
            if found["width"] > WIDTH + 1:
                wide[path] = found
        assert not wide, f"pages wider than {WIDTH} px for {role}: {wide}"
    finally:
        context.close()


def test_renewal_visit_form_is_one_tap_away_on_a_phone(browser, live_server, scene):  # noqa: F811
    """The household due (signed in 2023) is listed with its "record visit" button inside
    the screen; one tap opens the visit form for that household."""
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    try:
        login(page, live_server.url, scene["manager"].username)
        page.goto(f"{live_server.url}/pledges/staff/renewals/")
        button = page.locator(".visit-row .visit-open").first
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH and box["height"] >= 44
        assert box["y"] + box["height"] <= 740, "the first household's button is below the fold"
        household = page.locator(".visit-row").first.get_attribute("data-household")
        button.tap()
        page.wait_for_url(f"**/pledges/staff/visits/new/?household={household}")
        assert page.locator("form select, form input").count() > 0
    finally:
        context.close()
