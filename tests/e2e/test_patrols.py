"""End to end in Debian's Chromium: a villager on a phone logs tree obstacles (one with a
photo, one with no signal that goes out when the signal returns), and station staff confirm
and later verify the clearing on the map workspace, after which the counts have moved."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.contrib.gis.geos import LineString
from django.test import Client
from django.utils import translation
from PIL import Image

from houhu.accounts.models import User
from patrols import workflow
from patrols.models import Notification, Report, ReportEvent, ReportPhoto
from tests.conftest import PASSWORD
from tests.factories import (
    DistrictFactory,
    HouseholdFactory,
    LineFactory,
    SegmentFactory,
    TransformerAreaFactory,
    UserFactory,
    manager_of,
    villager_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT_MS = 20_000


@pytest.fixture
def demo_district():
    """One grid with a 10 kV segment through its centre and one villager's household."""
    district = DistrictFactory()
    area = TransformerAreaFactory(district=district)
    household = HouseholdFactory(transformer_area=area)
    x, y = district.boundary.centroid.coords
    line = LineFactory(
        station=district.station, geom=LineString((x - 0.005, y), (x + 0.005, y), srid=4326)
    )
    segment = SegmentFactory(
        line=line, district=district, transformer_area=area, geom=line.geom.clone()
    )
    return {
        "district": district,
        "segment": segment,
        "villager": villager_for(household),
        "staff": UserFactory(role=User.Role.STAFF, station=district.station),
        "colleague": UserFactory(role=User.Role.STAFF, station=district.station),
        # ~3 m north of the conductor: inside the 5 m zone of a 10 kV line.
        "near": (x + 0.001, y + 3 / 110_900),
    }


def login(page, base_url: str, username: str) -> None:
    """As tests.conftest.login, but clicks the log-in form's own button: the header's
    language switch is also a submit button and comes first on the page."""
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login/" not in page.url, "log-in failed"


def _jpeg(colour=(40, 120, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _phone_at(phone_page, live_server, lon, lat):
    context = phone_page.context
    context.grant_permissions(["geolocation"], origin=live_server.url)
    context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 6})


def _villager_by_the_line(phone_page, live_server, demo_district):
    """The demo villager, logged in on a phone whose GPS puts them beside the demo line."""
    villager = demo_district["villager"]
    lon, lat = demo_district["near"]
    _phone_at(phone_page, live_server, lon, lat)
    login(phone_page, live_server.url, villager.username)
    return villager


def _fill_tree_report(page, trees="3"):
    page.click("label.kind-tree")
    page.fill("#id_tree_count", trees)
    page.fill("#id_tree_distance_m", "1.5")
    page.wait_for_selector("#loc-status.ok", timeout=WAIT_MS)


def test_villager_logs_a_tree_obstacle_with_a_photo_and_one_while_offline(
    phone_page, live_server, demo_district
):
    villager = _villager_by_the_line(phone_page, live_server, demo_district)
    fetched: list[str] = []
    phone_page.on("request", lambda request: fetched.append(request.url))
    phone_page.goto(f"{live_server.url}/patrols/report/")

    _fill_tree_report(phone_page)
    phone_page.set_input_files(
        "#photos", files=[{"name": "tree.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    phone_page.wait_for_selector("#photo-list li", timeout=WAIT_MS)
    phone_page.fill("#id_note", "杨树枝碰到导线")
    phone_page.click("#submit")
    phone_page.wait_for_selector("#done:not([hidden])", timeout=WAIT_MS)
    # With a GPS fix the map library is never downloaded.
    assert not [url for url in fetched if "leaflet" in url.lower()]

    report = Report.objects.get(reporter=villager)
    assert report.kind == Report.Kind.TREE
    assert report.tree_count == 3
    assert report.status == Report.Status.SUBMITTED
    assert report.location_source == "gps"
    assert report.segment_id == demo_district["segment"].pk
    assert report.in_zone is True
    assert report.note == "杨树枝碰到导线"
    assert ReportPhoto.objects.filter(report=report).count() == 1

    # Second report with no signal: kept on the phone, shown as waiting, sent on return.
    phone_page.click("#again")
    _fill_tree_report(phone_page, trees="1")
    phone_page.context.set_offline(True)
    phone_page.click("#submit")
    phone_page.wait_for_selector("#done:not([hidden])", timeout=WAIT_MS)
    phone_page.wait_for_selector("#outbox[data-waiting='1']", timeout=WAIT_MS)
    waiting = phone_page.evaluate("HouhuOutbox.all().then(items => items.map(i => i.client_id))")
    assert len(waiting) == 1
    assert Report.objects.filter(reporter=villager).count() == 1

    phone_page.context.set_offline(False)
    phone_page.wait_for_selector("#outbox.sent[data-waiting='0']", timeout=WAIT_MS)
    assert Report.objects.filter(reporter=villager).count() == 2
    assert Report.objects.filter(client_id=uuid.UUID(waiting[0])).count() == 1
    assert phone_page.evaluate("HouhuOutbox.all().then(items => items.length)") == 0

    # "My reports" shows both, with their status.
    phone_page.goto(f"{live_server.url}/patrols/mine/")
    phone_page.wait_for_selector("#reports li", timeout=WAIT_MS)
    assert phone_page.locator("#reports li").count() == 2


def _submit_as(villager, lon, lat) -> Report:
    client = Client()
    client.force_login(villager)
    client_id = str(uuid.uuid4())
    photo = io.BytesIO(_jpeg())
    photo.name = "tree.jpg"
    response = client.post(
        "/api/patrols/reports/",
        {
            "client_id": client_id,
            "kind": "tree",
            "lon": f"{lon:.7f}",
            "lat": f"{lat:.7f}",
            "accuracy_m": "6",
            "location_source": "gps",
            "tree_count": "4",
            "tree_distance_m": "2",
            "photos": [photo],
        },
    )
    assert response.status_code == 201, response.content
    return Report.objects.get(client_id=client_id)


def _counts(user) -> dict:
    client = Client()
    client.force_login(user)
    response = client.get("/api/patrols/counts/", {"level": "station"})
    assert response.status_code == 200, response.content
    data = response.json()
    rows = data.get("results", data) if isinstance(data, dict) else data
    rows = rows if isinstance(rows, list) else [rows]
    keys = ("tree_places_cleared", "trees_removed", "open_in_zone")
    return {k: sum(int(r.get(k) or 0) for r in rows) for k in keys}


def _click_marker(page, report_id):
    """Click the report where the tiles draw it (from REPORT_POINTS_MIN_ZOOM on, every
    report is a point of the reports tile layer)."""
    # The shared map fits itself to the grids once its layers are in: let it settle first.
    page.wait_for_function("() => window.houhuMapReady === true", timeout=WAIT_MS)
    where = Report.objects.get(pk=report_id).location
    page.evaluate(
        """([lat, lon]) => { window.patrolsWorkspaceReady = false;
            window.patrolsWorkspace.map.setView([lat, lon], 17, {animate: false}); }""",
        [where.y, where.x],
    )
    page.wait_for_function("() => window.patrolsWorkspaceReady === true", timeout=WAIT_MS)
    x, y = page.evaluate(
        """([lat, lon]) => {
            const p = window.patrolsWorkspace.map.latLngToContainerPoint([lat, lon]);
            return [p.x, p.y]; }""",
        [where.y, where.x],
    )
    box = page.locator("#ws-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector(f"#ws-panel[data-report='{report_id}']", timeout=WAIT_MS)


def _act(page, action, fields=None, files=None, expect=None):
    page.click(f"#ws-panel .actions button[data-action='{action}']")
    form = f"#ws-panel form[data-action='{action}']"
    for name, value in (fields or {}).items():
        selector = f"{form} [name='{name}']"
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    if files:
        page.set_input_files(f"{form} input[type=file]", files=files)
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(f"#ws-panel[data-status='{expect}']", timeout=WAIT_MS)


def test_staff_confirm_and_verify_a_clearing_on_the_map_and_the_counts_change(
    page, live_server, demo_district
):
    staff = demo_district["staff"]
    report = _submit_as(demo_district["villager"], *demo_district["near"])
    before = _counts(staff)

    login(page, live_server.url, staff.username)
    page.goto(f"{live_server.url}/patrols/workspace/")
    page.wait_for_function("() => window.patrolsWorkspaceReady === true", timeout=WAIT_MS)
    assert page.get_attribute("#ws-map", "data-report-count") == "1"
    _click_marker(page, report.pk)
    panel = page.locator("#ws-panel")
    assert f"#{report.pk}" in panel.inner_text()

    # A forbidden step first: verifying a hazard nobody has cleared is refused, unchanged.
    assert page.locator("#ws-panel .actions button[data-action='verify']").count() == 0

    _act(page, "confirm", {"note": "现场核实 树枝距导线约1.5米"}, expect="confirmed")
    report.refresh_from_db()
    assert report.status == Report.Status.CONFIRMED
    _act(
        page,
        "clear",
        {"trees_removed": "4", "cleared_by": "self", "note": "村民自清"},
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((200, 200, 200))}],
        expect="cleared",
    )
    # Four eyes: whoever recorded the clearing is told why they may not verify it.
    assert page.locator("#ws-panel .actions button[data-action='verify']").count() == 0
    with translation.override("zh-hans"):
        four_eyes = str(workflow.FOUR_EYES)
    assert four_eyes in page.locator("#ws-panel .why-not[data-action='verify']").inner_text()
    page.context.clear_cookies()
    login(page, live_server.url, demo_district["colleague"].username)
    page.goto(f"{live_server.url}/patrols/workspace/")
    page.wait_for_function("() => window.patrolsWorkspaceReady === true", timeout=WAIT_MS)
    _click_marker(page, report.pk)
    _act(
        page,
        "verify",
        {"note": "已复查", "witness": "村民代表王建国"},
        files=[{"name": "check.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((90, 90, 200))}],
        expect="verified",
    )

    report.refresh_from_db()
    assert report.status == Report.Status.VERIFIED
    assert report.trees_removed == 4
    assert report.cleared_by == "self"
    events = ReportEvent.objects.filter(report=report).order_by("at", "pk")
    assert list(events.values_list("to_status", flat=True))[-3:] == [
        "confirmed",
        "cleared",
        "verified",
    ]
    assert ReportPhoto.objects.filter(report=report).count() == 3
    history = panel.locator(".history li")
    assert history.count() >= 3
    # In words, not as data.
    assert "村民代表王建国" in panel.locator(".history").inner_text()
    assert "cleared_by" not in panel.locator(".history").inner_text()

    after = _counts(staff)
    assert after["tree_places_cleared"] == before["tree_places_cleared"] + 1
    assert after["trees_removed"] == before["trees_removed"] + 4
    assert after["open_in_zone"] == before["open_in_zone"] - 1
    # The workspace's own counts strip shows the same figure.
    page.wait_for_selector(
        f"#ws-counts b[data-count='trees_removed']:text-is('{after['trees_removed']}')",
        timeout=WAIT_MS,
    )


def _act_api(user, report, action, photo=False, **data):
    client = Client()
    client.force_login(user)
    if photo:
        upload = io.BytesIO(_jpeg((180, 180, 180)))
        upload.name = "after.jpg"
        data["photos"] = [upload]
    response = client.post(f"/api/patrols/reports/{report.pk}/actions/", {"action": action, **data})
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    return report


def test_villager_says_a_cleared_hazard_is_not_fixed_and_it_reopens(
    phone_page, live_server, demo_district
):
    villager, staff = demo_district["villager"], demo_district["staff"]
    report = _submit_as(villager, *demo_district["near"])
    _act_api(staff, report, "confirm")
    _act_api(staff, report, "clear", photo=True, cleared_by="crew", trees_removed="4")
    assert report.status == Report.Status.CLEARED

    login(phone_page, live_server.url, villager.username)
    phone_page.goto(f"{live_server.url}/patrols/mine/{report.pk}/")
    phone_page.wait_for_selector("#not-fixed:not([hidden])", timeout=WAIT_MS)
    phone_page.fill("#not-fixed-note", "树枝又长回来了")
    phone_page.click("#not-fixed-send")
    phone_page.wait_for_selector("#report .badge.s-reopened", timeout=WAIT_MS)

    report.refresh_from_db()
    assert report.status == Report.Status.REOPENED
    last = ReportEvent.objects.filter(report=report).order_by("-at", "-pk").first()
    assert (last.actor, last.action, last.note) == (villager, "not_fixed", "树枝又长回来了")
    # Reopened: nothing more for the villager to say until staff clear it again.
    assert phone_page.locator("#not-fixed").is_hidden()


def test_a_step_already_taken_elsewhere_is_refused_with_a_message_and_changes_nothing(
    page, live_server, demo_district
):
    staff = demo_district["staff"]
    report = _submit_as(demo_district["villager"], *demo_district["near"])
    login(page, live_server.url, staff.username)
    page.goto(f"{live_server.url}/patrols/workspace/#report={report.pk}")
    page.wait_for_selector("#ws-panel[data-status='submitted']", timeout=WAIT_MS)

    # A colleague rejects it while this panel still offers "confirm".
    _act_api(demo_district["staff"], report, "reject", reason="重复上报")
    events = ReportEvent.objects.filter(report=report).count()

    page.click("#ws-panel .actions button[data-action='confirm']")
    page.click("#ws-panel form[data-action='confirm'] button[type=submit]")
    error = page.locator("#ws-panel form[data-action='confirm'] .error")
    error.wait_for(state="visible", timeout=WAIT_MS)
    assert error.inner_text().strip()
    report.refresh_from_db()
    assert report.status == Report.Status.REJECTED
    assert ReportEvent.objects.filter(report=report).count() == events


def test_report_page_opens_without_signal_once_visited_and_queues_the_report(
    phone_page, live_server, demo_district
):
    villager = _villager_by_the_line(phone_page, live_server, demo_district)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    # The service worker has taken over the page (and cached its shell).
    phone_page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null", timeout=WAIT_MS
    )

    phone_page.context.set_offline(True)
    phone_page.reload()
    _fill_tree_report(phone_page, trees="2")
    phone_page.click("#submit")
    phone_page.wait_for_selector("#outbox[data-waiting='1']", timeout=WAIT_MS)
    assert Report.objects.filter(reporter=villager).count() == 0

    phone_page.context.set_offline(False)
    phone_page.wait_for_selector("#outbox.sent[data-waiting='0']", timeout=WAIT_MS)
    report = Report.objects.get(reporter=villager)
    assert report.tree_count == 2


def test_grid_manager_is_notified_and_opens_the_report_from_the_workspace(
    page, live_server, demo_district
):
    manager = manager_of(demo_district["district"])
    report = _submit_as(demo_district["villager"], *demo_district["near"])
    login(page, live_server.url, manager.username)
    page.goto(f"{live_server.url}/patrols/workspace/")
    page.wait_for_function("() => window.patrolsWorkspaceReady === true", timeout=WAIT_MS)
    # The notification was written with the report, in its transaction.
    page.wait_for_selector("#ws-notices[data-unread='1']", timeout=WAIT_MS)
    page.click("#ws-notices")
    page.click("#ws-notices-list li.unread a")
    page.wait_for_selector(f"#ws-panel[data-report='{report.pk}']", timeout=WAIT_MS)
    page.wait_for_selector("#ws-notices[data-unread='0']", timeout=WAIT_MS)

    notification = Notification.objects.get(recipient=manager)
    assert notification.report_id == report.pk
    assert notification.read_at is not None


def test_villager_sees_why_a_report_is_refused_and_nothing_is_recorded(
    phone_page, live_server, demo_district
):
    villager = demo_district["villager"]
    # A GPS fix far outside every grid of the station (a phone that has not settled).
    _phone_at(phone_page, live_server, 113.5, 30.9)
    login(phone_page, live_server.url, villager.username)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    _fill_tree_report(phone_page)
    phone_page.click("#submit")
    error = phone_page.locator("#form-error")
    error.wait_for(state="visible", timeout=WAIT_MS)
    assert error.inner_text().strip()
    assert phone_page.locator("#report-form").is_visible()
    assert Report.objects.count() == 0
    # Refused content is not left in the outbox to be retried for ever.
    assert phone_page.evaluate("HouhuOutbox.all().then(items => items.length)") == 0


def test_a_corrupt_photo_is_refused_with_a_message_and_nothing_is_recorded(
    phone_page, live_server, demo_district
):
    _villager_by_the_line(phone_page, live_server, demo_district)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    _fill_tree_report(phone_page)
    broken = _jpeg()[:300]  # a JPEG cut short: the browser cannot shrink it, the server refuses it
    phone_page.set_input_files(
        "#photos", files=[{"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": broken}]
    )
    phone_page.wait_for_selector("#photo-list li", timeout=WAIT_MS)
    phone_page.click("#submit")
    error = phone_page.locator("#form-error")
    error.wait_for(state="visible", timeout=WAIT_MS)
    assert error.inner_text().strip()
    assert Report.objects.count() == 0
    assert ReportPhoto.objects.count() == 0


def test_a_report_left_on_a_shared_phone_is_never_sent_under_another_account(
    phone_page, live_server, demo_district
):
    villager = demo_district["villager"]
    lon, lat = demo_district["near"]
    login(phone_page, live_server.url, villager.username)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    client_id = str(uuid.uuid4())
    result = phone_page.evaluate(
        """([id, lon, lat, other]) => HouhuOutbox.put({
              client_id: id, user: other, created: Date.now(), photos: [],
              fields: {kind: "other", lon: String(lon), lat: String(lat), location_source: "map"},
           }).then(() => HouhuOutbox.flush())""",
        [client_id, lon, lat, villager.pk + 1000],
    )
    assert result["sent"] == []
    assert not Report.objects.filter(client_id=client_id).exists()
    assert phone_page.evaluate("HouhuOutbox.all().then(items => items.length)") == 1


def test_villager_without_gps_taps_the_place_on_a_map_loaded_on_demand(
    phone_page, live_server, demo_district
):
    villager = demo_district["villager"]
    login(phone_page, live_server.url, villager.username)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    phone_page.click("label.kind-damage")
    phone_page.click("label:has(input[name=damage_kind][value=stay_wire])")
    assert phone_page.evaluate("typeof window.L") == "undefined"

    phone_page.click("#loc-map")
    phone_page.wait_for_selector("#pick-map .leaflet-container, #pick-map.leaflet-container")
    picker = phone_page.locator("#pick-map")
    box = picker.bounding_box()
    picker.click(position={"x": box["width"] / 2, "y": box["height"] / 2 + 20})
    phone_page.wait_for_selector("#loc-status.ok", timeout=WAIT_MS)
    phone_page.click("#submit")
    phone_page.wait_for_selector("#done:not([hidden])", timeout=WAIT_MS)

    report = Report.objects.get(reporter=villager)
    assert report.location_source == "map"
    assert report.kind == Report.Kind.DAMAGE
    assert report.damage_kind == "stay_wire"
    assert report.district == demo_district["district"]


def test_log_out_drops_the_pages_kept_for_offline_use_but_not_the_waiting_reports(
    phone_page, live_server, demo_district
):
    """A phone shared by a household: the next person must not read the last one's
    reports offline, and the last one's unsent report must still be there for them."""
    villager = demo_district["villager"]
    lon, lat = demo_district["near"]
    login(phone_page, live_server.url, villager.username)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    phone_page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null", timeout=WAIT_MS
    )
    phone_page.goto(f"{live_server.url}/patrols/mine/")
    cached = """() => caches.keys().then(keys => Promise.all(
        keys.filter(k => k.startsWith("houhu-pages-"))
            .map(k => caches.open(k).then(c => c.keys()).then(r => r.map(q => q.url)))))
        .then(lists => lists.flat())"""
    phone_page.wait_for_function(
        f"() => ({cached})().then(urls => urls.some(u => u.endsWith('/patrols/mine/')))",
        timeout=WAIT_MS,
    )
    phone_page.evaluate(
        """([lon, lat, user]) => HouhuOutbox.put({
              client_id: crypto.randomUUID(), user: user, created: Date.now(), photos: [],
              fields: {kind: "other", lon: String(lon), lat: String(lat), location_source: "map"},
           })""",
        [lon, lat, villager.pk],
    )

    phone_page.click("form[data-logout] button")
    phone_page.wait_for_url("**/login/**", timeout=WAIT_MS)
    assert phone_page.evaluate(f"({cached})()") == []
    waiting = phone_page.evaluate(
        """() => new Promise((resolve, reject) => {
              const open = indexedDB.open("houhu-patrols");
              open.onsuccess = () => {
                const req = open.result.transaction("outbox").objectStore("outbox").count();
                req.onsuccess = () => resolve(req.result);
                req.onerror = () => reject(req.error);
              };
              open.onerror = () => reject(open.error);
           })"""
    )
    assert waiting == 1


def test_staff_open_the_most_overdue_report_from_the_work_queue(page, live_server, demo_district):
    """The queue beside the map lists the overdue report first with its overdue time, and
    a click opens it in the panel."""
    import datetime as dt

    from django.utils import timezone

    from tests.patrols.factories import ReportFactory, add_history

    district, villager = demo_district["district"], demo_district["villager"]
    fresh = _submit_as(villager, *demo_district["near"])
    late_at = timezone.now() - dt.timedelta(hours=30)  # 6 h past the 24 h confirmation target
    late = add_history(
        ReportFactory(
            district=district, reporter=villager, received_at=late_at, status_changed_at=late_at
        )
    )
    login(page, live_server.url, demo_district["staff"].username)
    page.goto(f"{live_server.url}/patrols/workspace/")
    page.wait_for_selector("#ws-queue .queue-item", timeout=WAIT_MS)
    items = page.locator("#ws-queue .queue-item")
    assert items.count() == 2
    assert "overdue" in (items.nth(0).get_attribute("class") or "")
    assert items.nth(0).locator(".queue-open").get_attribute("data-report") == str(late.pk)
    assert items.nth(1).locator(".queue-open").get_attribute("data-report") == str(fresh.pk)
    timer = items.nth(0).locator(".queue-timer").inner_text()
    assert "6" in timer, timer
    items.nth(0).locator(".queue-open").click()
    page.wait_for_selector(f"#ws-panel[data-report='{late.pk}']", timeout=WAIT_MS)


# A phone whose clock was reset (a flat battery): Date reads 2000-01-01 plus the time since.
PHONE_CLOCK_RESET = """
(() => {
  const Real = Date, off = Real.UTC(2000, 0, 1) - Real.now();
  class PhoneDate extends Real {
    constructor(...a) { if (a.length) super(...a); else super(Real.now() + off); }
    static now() { return Real.now() + off; }
  }
  globalThis.Date = PhoneDate;
})();
"""


def test_a_phone_with_its_clock_reset_to_2000_still_dates_its_report_right(
    phone_page, live_server, demo_district
):
    villager = _villager_by_the_line(phone_page, live_server, demo_district)
    phone_page.add_init_script(PHONE_CLOCK_RESET)
    phone_page.goto(f"{live_server.url}/patrols/report/")
    assert phone_page.evaluate("new Date().getFullYear()") == 2000

    _fill_tree_report(phone_page)
    phone_page.click("#submit")
    phone_page.wait_for_selector("#done:not([hidden])", timeout=WAIT_MS)
    phone_page.wait_for_selector("#outbox.sent[data-waiting='0']", timeout=WAIT_MS)

    report = Report.objects.get(reporter=villager)
    # Written a moment before it was sent, by the server's clock: not in 2000, not refused.
    assert dt.timedelta(0) <= report.received_at - report.submitted_at < dt.timedelta(minutes=2)
