"""Stored script payloads in every free-text field a user can write, opened on every page
that shows them, as every role that can see them, in Debian's Chromium: nothing runs, no
Content-Security-Policy violation is even attempted (which would mean markup got into the
page), and each payload is shown as the text it is.

The data is written through the app's own APIs and forms (Django's test client, signed in
as the role that writes it); grid names that only an administrator writes in /admin/ are
set directly. Map tooltips and popups are opened one by one, since Leaflet renders them
only when they open.
"""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from houhu.accounts.models import User
from pledges.models import Assignment, CompactVersion, Pledge
from tests.conftest import login
from tests.factories import UserFactory
from tests.grid.factories import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def payload(n: int) -> str:
    """Markup that would call xss(n) if it were ever parsed as HTML (26-27 characters: it
    fits the 50-character name fields)."""
    return f"<img src=x onerror=xss({n})>"


# Which payload went into which field (the report lists them).
FIELDS = {
    1: "service grid name (admin)",
    2: "village name (admin)",
    3: "transformer area name (admin)",
    4: "household head's name (admin) = the villager account's display name",
    5: "household head's name of a household whose account a grid manager creates",
    6: "line name (admin)",
    7: "grid manager's display name (admin)",
    10: "compact title (API, staff)",
    11: "compact motto (API, staff)",
    12: "clause text (API, staff)",
    13: "new version's change note (API, staff)",
    14: "clause text added to a draft (API, staff)",
    20: "paper pledge signatory (API, staff)",
    21: "paper pledge witness (API, staff)",
    22: "pledge withdrawal note (API, staff)",
    23: "CSV import signatory (API, staff)",
    24: "CSV import witness (API, staff)",
    30: "segment assignment person name (API, grid manager)",
    31: "segment assignment note (API, grid manager)",
    32: "patch assignment person name (API, grid manager)",
    33: "patch assignment note = the villager's patch label (API, grid manager)",
    34: "assignment end note (API, grid manager)",
    40: "household visit note (API, grid manager)",
    50: "patrol report note (API, villager)",
    51: "report confirmation note (API, grid manager)",
    52: "report rejection reason (API, staff)",
}


INIT = """
window.__xss = []; window.__csp = [];
window.xss = function (n) { window.__xss.push(n); };
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(
    e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
// Register every Leaflet map as it is made, so the test can open its tooltips and popups.
window.__maps = [];
(function () {
  var leaflet;
  Object.defineProperty(window, "L", {
    configurable: true,
    get: function () { return leaflet; },
    set: function (value) {
      leaflet = value;
      if (value && value.Map && !value.Map.__registered) {
        value.Map.__registered = true;
        value.Map.addInitHook(function () { window.__maps.push(this); });
      }
    },
  });
})();
"""

OPEN_OVERLAYS = """() => {
  const texts = [];
  function grab(overlay) {
    const el = overlay && overlay.getElement && overlay.getElement();
    if (el) texts.push(el.textContent);
  }
  function visit(layer) {
    if (layer.eachLayer && !layer.getTooltip?.() && !layer.getPopup?.()) {
      layer.eachLayer(visit);
      return;
    }
    try {
      if (layer.getTooltip && layer.getTooltip() && layer._map) {
        layer.openTooltip(); grab(layer.getTooltip()); layer.closeTooltip();
      }
      if (layer.getPopup && layer.getPopup() && layer._map) {
        layer.openPopup(); grab(layer.getPopup()); layer.closePopup();
      }
    } catch (e) { texts.push("ERROR " + e.message); }
  }
  for (const map of window.__maps) map.eachLayer(visit);
  return texts;
}"""


def _api(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _post(client: Client, url: str, body: dict, expect: int = 201) -> dict:
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == expect, (url, response.status_code, response.content[:500])
    return response.json() if response.content else {}


def _write_everything(world) -> dict:
    """Every free-text field, through the role and entry point that writes it."""
    # Written by an administrator in /admin/ (names of the grid and of accounts).
    world.d1.name = payload(1)
    world.d1.save()
    world.village.name = payload(2)
    world.village.save()
    world.ta1.name = payload(3)
    world.ta1.save()
    world.h1.head_name = payload(4)
    world.h1.save()
    world.villager.display_name = payload(4)
    world.villager.save()
    world.h2.head_name = payload(5)
    world.h2.save()
    world.line.name = payload(6)
    world.line.save()
    world.manager.display_name = payload(7)
    world.manager.save()

    staff, manager, villager = _api(world.staff), _api(world.manager), _api(world.villager)

    # A grid manager creates the account of household 2 on the villager accounts page: its
    # display name is the head's name.
    created = manager.post(f"/villagers/household/{world.h2.pk}/create/", {"phone": "13955550002"})
    assert created.status_code == 302, created.content[:500]

    # The compact, its clauses and a new draft.
    compact = _post(
        staff,
        "/api/pledges/compacts/",
        {
            "title": payload(10),
            "motto": payload(11),
            "scope": "station",
            "clauses": [{"kind": "other", "text": payload(12)}],
        },
    )
    v1 = CompactVersion.objects.get(compact_id=compact["id"], number=1)
    today = timezone.localdate().isoformat()
    _post(staff, f"/api/pledges/versions/{v1.pk}/publish/", {"effective_from": today}, expect=200)
    _post(
        staff, f"/api/pledges/compacts/{compact['id']}/new-version/", {"change_note": payload(13)}
    )
    v2 = CompactVersion.objects.get(compact_id=compact["id"], number=2)
    _post(staff, f"/api/pledges/versions/{v2.pk}/clauses/", {"kind": "other", "text": payload(14)})

    # Pledges: the villager signs online, a paper sheet for household 2, CSV for household 3.
    _post(
        villager,
        "/api/pledges/pledges/",
        {"household": world.h1.pk, "version": v1.pk, "confirm": True},
    )
    _post(
        staff,
        "/api/pledges/pledges/",
        {
            "household": world.h2.pk,
            "version": v1.pk,
            "method": "paper",
            "signatory": payload(20),
            "witness": payload(21),
            "signed_on": today,
        },
    )
    csv_text = (
        "customer_number,signed_on,signatory,witness\n"
        f'{world.h3.customer_number},{today},"{payload(23)}","{payload(24)}"\n'
    )
    upload = io.BytesIO(csv_text.encode())
    upload.name = "pledges.csv"
    imported = staff.post("/api/pledges/import/", {"file": upload, "dry_run": "false"})
    assert imported.status_code == 200, imported.content[:500]
    h3_pledge = Pledge.objects.get(household=world.h3, status=Pledge.Status.ACTIVE)
    _post(
        staff, f"/api/pledges/pledges/{h3_pledge.pk}/withdraw/", {"note": payload(22)}, expect=200
    )

    # Responsibility: a segment and a patch, the patch the villager's own.
    _post(
        manager,
        "/api/pledges/assignments/",
        {
            "scope": "segment",
            "segments": [world.seg1.pk],
            "person_name": payload(30),
            "note": payload(31),
        },
    )
    ring = [
        [112.801, 30.451],
        [112.809, 30.451],
        [112.809, 30.459],
        [112.801, 30.459],
        [112.801, 30.451],
    ]
    _post(
        manager,
        "/api/pledges/assignments/",
        {
            "scope": "patch",
            "polygon": {"type": "Polygon", "coordinates": [ring]},
            "district": world.d1.pk,
            "user": world.villager.pk,
            "person_name": payload(32),
            "note": payload(33),
        },
    )
    ended = _post(
        manager,
        "/api/pledges/assignments/",
        {
            "scope": "segment",
            "segments": [world.seg1.pk],
            "person_name": "临时",
            "is_primary": False,
        },
    )
    _post(
        manager,
        f"/api/pledges/assignments/{ended['features'][0]['id']}/end/",
        {"note": payload(34)},
        expect=200,
    )

    # A household visit.
    _post(
        manager,
        "/api/pledges/visits/",
        {"household": world.h1.pk, "outcome": "explained", "note": payload(40)},
    )

    # Patrol reports: the villager writes, the manager confirms, staff rejects another.
    def report(note):
        body = {
            "client_id": str(uuid.uuid4()),
            "kind": "tree",
            "lon": 112.805,
            "lat": 30.4552,
            "accuracy_m": 5,
            "location_source": "gps",
            "tree_count": 1,
            "tree_distance_m": 2,
            "note": note,
        }
        return _post(villager, "/api/patrols/reports/", body)

    first = report(payload(50))
    _post(
        manager,
        f"/api/patrols/reports/{first['id']}/actions/",
        {"action": "confirm", "note": payload(51)},
        expect=200,
    )
    second = report("第二条")
    _post(
        staff,
        f"/api/patrols/reports/{second['id']}/actions/",
        {"action": "reject", "reason": payload(52)},
        expect=200,
    )

    # The dashboard's figures (grid names come with them), as the nightly task would.
    from stats.services import refresh_current

    refresh_current()
    return {
        "report": first["id"],
        "rejected": second["id"],
        "v1": v1.pk,
        "v2": v2.pk,
        "compact": compact["id"],
    }


def _open(page, url: str, seen: dict, problems: list, who: str, before_grab=None) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if before_grab:
        before_grab(page)
        page.wait_for_load_state("networkidle")
    # The page's text, and what form fields hold (an edit form shows the stored text there).
    texts = [page.evaluate("() => document.body.innerText")]
    texts += page.evaluate(
        "() => [...document.querySelectorAll('textarea, input[type=text]')].map(e => e.value)"
    )
    texts += page.evaluate(OPEN_OVERLAYS)
    state = page.evaluate(
        "() => ({xss: window.__xss, csp: window.__csp,"
        " imgs: document.querySelectorAll('img[src=\"x\"]').length})"
    )
    if state["xss"] or state["csp"] or state["imgs"]:
        problems.append((who, url, state))
    for t in texts:
        if t.startswith("ERROR "):
            problems.append((who, url, t))
    joined = "\n".join(texts)
    for n in FIELDS:
        if payload(n) in joined:
            seen.setdefault(n, set()).add(f"{who} {url}")


def _session(browser, live_server, user: User | None, phone=False):
    options = {"locale": "zh-CN"}
    options.update(
        {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
        if phone
        else {"viewport": {"width": 1280, "height": 800}}
    )
    context = browser.new_context(**options)
    context.add_init_script(INIT)
    page = context.new_page()
    errors: list = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    if user is not None:
        from tests.conftest import PASSWORD

        login(page, live_server.url, user.username, PASSWORD)
    return context, page, errors


def _show_my_map(page):
    page.click("#show-my-map")
    page.wait_for_selector("#my-map[data-loaded]")


def _open_report_panel(report_id):
    def run(page):
        page.wait_for_function("() => window.patrolsWorkspaceReady === true")
        page.evaluate(f"() => window.patrolsWorkspace.openReport({report_id})")

    return run


def _wait_for(selector):
    return lambda page: page.wait_for_selector(selector, state="attached")


def test_stored_script_payloads_render_as_text_on_every_page_for_every_role(live_server, browser):
    world = build_world()
    admin = UserFactory(
        role=User.Role.ADMIN, is_staff=True, is_superuser=True, station=world.station
    )
    ids = _write_everything(world)
    base = live_server.url
    report, v1, v2 = ids["report"], ids["v1"], ids["v2"]
    rejected = ids["rejected"]
    patch = Assignment.objects.get(person_name=payload(32))
    segment_assignment = Assignment.objects.get(person_name=payload(30))
    ended = Assignment.objects.get(person_name="临时")
    withdrawn = Pledge.objects.get(household=world.h3)

    staff_pages = [
        ("/map/", _wait_for("#map[data-ready='1']")),
        ("/patrols/workspace/", _open_report_panel(report)),
        ("/patrols/workspace/", _open_report_panel(rejected)),
        (f"/pledges/staff/visits/new/?household={world.h1.pk}", None),
        ("/pledges/staff/", None),
        ("/pledges/staff/compacts/", None),
        (f"/pledges/staff/versions/{v1}/", None),
        (f"/pledges/staff/versions/{v2}/", None),
        ("/pledges/staff/paper/", None),
        (f"/pledges/staff/paper/?q={world.h2.customer_number}", None),
        ("/pledges/staff/renewals/", None),
        (f"/pledges/staff/assign/?district={world.d1.pk}", _wait_for("#assign-map[data-loaded]")),
        (
            f"/pledges/staff/coverage/?district={world.d1.pk}",
            _wait_for("#coverage-map[data-loaded]"),
        ),
        (f"/pledges/staff/coverage/tables/?district={world.d1.pk}", None),
        (f"/pledges/households/{world.h2.pk}/card/", None),
        ("/villagers/", None),
        (f"/villagers/?q={world.h2.customer_number}", None),
    ]
    dashboard = [
        ("/stats/", _wait_for("#stats-map:not([data-ready='0'])")),
        (f"/stats/?level=district&id={world.d1.pk}", None),
        ("/stats/report/", None),
    ]
    work = ("/patrols/", "/villagers/", "/pledges/staff/visits/")
    roles = [
        (
            world.villager,
            True,
            [
                ("/", None),
                ("/patrols/mine/", _wait_for("#reports li")),
                (f"/patrols/mine/{report}/", _wait_for("#report li")),
                (f"/patrols/mine/{rejected}/", _wait_for("#report li")),
                ("/pledges/", None),
                ("/pledges/me/responsibility/", _show_my_map),
                (f"/pledges/households/{world.h1.pk}/card/", None),
            ],
        ),
        (world.manager, False, staff_pages),
        (world.staff, False, staff_pages + dashboard),
        # County leaders read the compact pages too (read-only), not the work pages.
        (world.leader, False, [p for p in staff_pages if not p[0].startswith(work)] + dashboard),
        (
            admin,
            False,
            [
                ("/stats/", None),
                ("/admin/pledges/assignment/", None),
                *[
                    (f"/admin/pledges/assignment/{a.pk}/change/", None)
                    for a in (patch, segment_assignment, ended)
                ],
                ("/admin/pledges/pledge/", None),
                (f"/admin/pledges/pledge/{withdrawn.pk}/change/", None),
                ("/admin/pledges/householdvisit/", None),
                (f"/admin/pledges/compactversion/{v2}/change/", None),
                (f"/admin/patrols/report/{report}/change/", None),
                (f"/admin/patrols/report/{rejected}/change/", None),
                (f"/admin/grid/district/{world.d1.pk}/change/", _wait_for(".leaflet-container")),
                ("/admin/grid/household/", None),
                ("/admin/accounts/user/", None),
            ],
        ),
        (None, False, [("/login/", None), ("/api/docs/", _wait_for(".swagger-ui .info"))]),
    ]

    seen: dict[int, set[str]] = {}
    problems: list = []
    opened = 0
    for user, phone, pages in roles:
        who = user.username if user else "anonymous"
        context, page, errors = _session(browser, live_server, user, phone=phone)
        try:
            for path, before in pages:
                _open(page, base + path, seen, problems, who, before)
                opened += 1
            if errors:
                problems.append((who, "console/page errors", errors))
        finally:
            context.close()

    assert not problems, problems
    missing = {n: FIELDS[n] for n in FIELDS if n not in seen}
    assert not missing, f"payloads never shown as text: {missing}"
    # Leaflet tooltips and popups (the hole once found) did show their payloads as text.
    assert any("assign" in where for where in seen[30]), seen[30]
    assert any("responsibility" in where for where in seen[33]), seen[33]
    assert opened >= 50
    print(
        f"\n{len(FIELDS)} fields, {opened} page openings, {sum(map(len, seen.values()))} sightings"
    )


def test_every_page_sends_a_csp_without_unsafe_inline_scripts(live_server, page):
    response = page.goto(f"{live_server.url}/login/")
    csp = response.headers["content-security-policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src "))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert response.headers["permissions-policy"].startswith("geolocation=(self), camera=(self)")
    assert response.headers["referrer-policy"] == "same-origin"
