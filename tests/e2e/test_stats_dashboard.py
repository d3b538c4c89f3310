"""The leadership dashboard in headless Chromium: ranking, map, drill-down, read-only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine

from houhu.accounts.models import User
from stats.compute import compute_snapshots
from stats.models import Snapshot
from tests.conftest import PASSWORD
from tests.factories import UserFactory
from tests.stats.factories import JAN, NOW, small_county

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parent.parent.parent / "var"


@pytest.fixture
def county_with_figures():
    c = small_county()
    compute_snapshots(kind="month", first=dt.date(2025, 12, 1), last=JAN, now=NOW)
    compute_snapshots(kind="year", first=JAN, now=NOW)
    leader = UserFactory(role=User.Role.LEADER, county=c.station.county, username="leader")
    # Early February 2026: the dashboard opens on January, the last complete month.
    with time_machine.travel(NOW + dt.timedelta(days=2, hours=9), tick=True):
        yield c, leader


def login(page, base_url: str, username: str) -> None:
    # tests.conftest.login clicks the first submit button, which is the language switch in
    # the top bar; this one clicks the log-in form's own button.
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_load_state("networkidle")


def _shot(page, name: str) -> None:
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / name), full_page=True)


def test_leader_sees_ranking_and_map_and_cannot_edit(live_server, page, county_with_figures):
    c, leader = county_with_figures
    login(page, live_server.url, leader.username)
    # The leader's home page is the dashboard, opened on the county.
    assert "/stats/" in page.url
    page.wait_for_selector("#stats-map[data-ready='1']", timeout=15000)
    ranking = page.locator("[data-testid=ranking] tbody tr")
    assert ranking.count() == 2
    first = ranking.nth(0).inner_text()
    assert c.d1.name in first and first.strip().startswith("1")
    assert "数据不足" in ranking.nth(1).inner_text()  # D2: one report, not ranked
    assert page.locator("#stats-map").get_attribute("data-features") == "2"
    assert page.locator(".stats-legend").count() == 1
    assert page.locator("canvas#chart-rates").count() == 1
    # Read-only: no form posts anything but log-out and the language switch.
    actions = page.eval_on_selector_all(
        "form[method=post]", "fs => fs.map(f => f.getAttribute('action'))"
    )
    assert all(a.endswith(("/logout/", "/i18n/setlang/")) for a in actions), actions
    _shot(page, "stats-dashboard-leader.png")

    # Drill down: county → station (crumb) → district → transformer area → open hazards.
    page.click(f"[data-testid=ranking] a:has-text('{c.d1.name}')")
    page.wait_for_selector("#stats-map[data-ready='1']", timeout=15000)
    assert page.locator("[data-testid=hazards] tbody tr").count() == 2  # r2 and r3
    page.click(f"[data-testid=children] a:has-text('{c.tas[0].name}')")
    page.wait_for_selector("[data-testid=hazards]")
    assert page.locator("[data-testid=hazards] tbody tr").count() == 2
    _shot(page, "stats-dashboard-ta.png")

    before = Snapshot.objects.count()
    status = page.evaluate(
        """async () => {
            const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
            const r = await fetch('/stats/', {method: 'POST', headers: {'X-CSRFToken': token}});
            const a = await fetch('/api/stats/snapshots/', {method: 'POST',
                headers: {'X-CSRFToken': token, 'Content-Type': 'application/json'}, body: '{}'});
            return [r.status, a.status];
        }"""
    )
    assert status == [405, 405]
    assert Snapshot.objects.count() == before


def test_dashboard_on_a_phone_shows_figures(live_server, phone_page, county_with_figures):
    _c, leader = county_with_figures
    login(phone_page, live_server.url, leader.username)
    phone_page.wait_for_selector("#stats-map[data-ready='1']", timeout=15000)
    score = phone_page.locator(".figure[data-key=score] .fig-value").inner_text()
    assert score not in ("", "\u2013")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, "the page must not scroll sideways on a phone"
    _shot(phone_page, "stats-dashboard-phone.png")
    data = json.loads(phone_page.locator("#stats-trend").inner_text())
    assert data["labels"][-2:] == ["2025-12", "2026-01"]


def test_printable_monthly_report_of_a_grid(live_server, page, county_with_figures):
    c, leader = county_with_figures
    login(page, live_server.url, leader.username)
    page.goto(f"{live_server.url}/stats/report/?level=district&id={c.d1.pk}&month=2026-01")
    page.emulate_media(media="print")
    # In print, the top bar and the back/print links are hidden; the figures remain.
    assert not page.locator(".topbar").is_visible()
    assert not page.locator(".no-print").is_visible()
    assert page.locator(".figure").count() >= 10
    assert page.locator("h1").inner_text().startswith("2026-01")
    _shot(page, "stats-report-print.png")


def test_dashboard_in_english_after_switching_language(live_server, page, county_with_figures):
    _c, leader = county_with_figures
    login(page, live_server.url, leader.username)
    page.wait_for_selector("#stats-map[data-ready='1']", timeout=15000)
    page.click("button[name=language][value=en]")
    page.wait_for_selector("#stats-map[data-ready='1']", timeout=15000)
    assert page.locator("h2", has_text="Service grids ranked by compliance score").count() == 1
    assert "not enough data" in page.locator("[data-testid=ranking]").inner_text()
    assert "Compliance score" in page.locator(".stats-legend").inner_text()
    # Longer English labels must not push the page sideways on a 1280 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    _shot(page, "stats-dashboard-en.png")


def test_changing_the_measure_redraws_the_map_without_reloading(
    live_server, page, county_with_figures
):
    _c, leader = county_with_figures
    login(page, live_server.url, leader.username)
    page.wait_for_selector("#stats-map[data-ready='1']", timeout=15000)
    page.evaluate("window.__samePage = true")  # gone if the page reloads
    legend = page.locator(".stats-legend strong").inner_text()
    page.select_option("#measure", "pledge_rate")
    page.wait_for_selector("#stats-map[data-ready='1'][data-measure='pledge_rate']", timeout=15000)
    assert page.evaluate("window.__samePage") is True
    assert page.locator(".stats-legend").count() == 1
    assert page.locator(".stats-legend strong").inner_text() != legend
    assert "measure=pledge_rate" in page.url
    drill = page.locator("[data-testid=ranking] a").first.get_attribute("href")
    assert "measure=pledge_rate" in drill  # the drill-down keeps the choice


def test_the_leaders_menu_has_no_two_links_to_the_same_page(live_server, page, county_with_figures):
    _c, leader = county_with_figures
    login(page, live_server.url, leader.username)
    for path in ("/stats/", "/map/", "/stats/report/"):
        page.goto(live_server.url + path)
        hrefs = page.eval_on_selector_all(
            ".topnav a", "links => links.map(a => new URL(a.href).pathname)"
        )
        assert len(hrefs) == len(set(hrefs)), (path, hrefs)
