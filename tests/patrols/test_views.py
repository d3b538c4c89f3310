"""The patrols pages, per role: who may open what, what the phone page weighs, and the
service worker's headers. The pages are shells over the API, so each test also checks
that opening a page wrote nothing."""

from __future__ import annotations

import gzip
import re
import uuid

import pytest
from django.contrib.gis.geos import LineString
from django.contrib.staticfiles import finders
from django.urls import reverse

from houhu.accounts.models import User
from patrols.models import Report, ReportEvent
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

pytestmark = pytest.mark.django_db

# ../shared/stack-notes.md: ~170 KB on the critical path = a 5 s first load at 400 kbit/s.
CRITICAL_PATH_BUDGET = 170 * 1024


@pytest.fixture
def grid():
    district = DistrictFactory()
    other = DistrictFactory(station=district.station)
    area = TransformerAreaFactory(district=district)
    household = HouseholdFactory(transformer_area=area)
    x, y = district.boundary.centroid.coords
    line = LineFactory(
        station=district.station, geom=LineString((x - 0.005, y), (x + 0.005, y), srid=4326)
    )
    SegmentFactory(line=line, district=district, transformer_area=area, geom=line.geom.clone())
    return {
        "district": district,
        "other": other,
        "household": household,
        "villager": villager_for(household),
        "manager": manager_of(district),
        "staff": UserFactory(role=User.Role.STAFF, station=district.station),
        "leader": UserFactory(role=User.Role.LEADER, county=district.station.county),
    }


def _nothing_written():
    return Report.objects.count() == 0 and ReportEvent.objects.count() == 0


def _scripts_and_styles(html: str) -> list[str]:
    return re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(
        r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html
    )


def test_anonymous_visitor_is_sent_to_log_in(client):
    for name in ("patrols:report_new", "patrols:my_reports", "patrols:workspace"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_villager_report_page_offers_every_kind_and_the_nine_behaviours(client, grid):
    client.force_login(grid["villager"])
    response = client.get(reverse("patrols:report_new"))
    assert response.status_code == 200
    html = response.content.decode()
    for value in Report.Kind.values:
        assert f'name="kind" value="{value}"' in html
    for value in Report.Behaviour.values:
        assert f'name="behaviour" value="{value}"' in html
    assert len(Report.Behaviour.values) == 9
    assert 'capture="environment"' in html
    assert _nothing_written()


def test_villager_report_page_loads_no_map_library_until_asked(client, grid):
    client.force_login(grid["villager"])
    html = client.get(reverse("patrols:report_new")).content.decode()
    assets = _scripts_and_styles(html)
    assert not [a for a in assets if "leaflet" in a.lower()], assets
    # The map is only named in the config, for the "choose on the map" button to load.
    assert "leaflet/leaflet.js" in html


def test_villager_report_page_critical_path_fits_the_phone_budget(client, grid):
    client.force_login(grid["villager"])
    response = client.get(reverse("patrols:report_new"))
    total = len(gzip.compress(response.content))
    for url in _scripts_and_styles(response.content.decode()):
        path = finders.find(url.removeprefix("/static/"))
        assert path, f"{url} is not a static file"
        with open(path, "rb") as fh:
            total += len(gzip.compress(fh.read()))
    assert total < CRITICAL_PATH_BUDGET, f"{total} bytes gzipped"


def test_report_page_starts_centred_on_the_villagers_household(client, grid):
    client.force_login(grid["villager"])
    response = client.get(reverse("patrols:report_new"))
    lon, lat = grid["household"].location.coords
    assert response.context["config"]["center"] == [lat, lon]


def test_staff_may_open_the_report_form_to_record_their_own_findings(client, grid):
    client.force_login(grid["staff"])
    assert client.get(reverse("patrols:report_new")).status_code == 200
    assert _nothing_written()


def test_leader_cannot_open_the_report_form(client, grid):
    client.force_login(grid["leader"])
    assert client.get(reverse("patrols:report_new")).status_code == 403
    assert _nothing_written()


def test_villager_cannot_open_the_map_workspace(client, grid):
    client.force_login(grid["villager"])
    assert client.get(reverse("patrols:workspace")).status_code == 403
    assert _nothing_written()


def test_grid_manager_workspace_filters_only_their_own_grids(client, grid):
    client.force_login(grid["manager"])
    response = client.get(reverse("patrols:workspace"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{grid["district"].pk}">' in html
    assert f'<option value="{grid["other"].pk}">' not in html
    assert _nothing_written()


def test_staff_workspace_offers_every_grid_of_the_station_and_every_status(client, grid):
    client.force_login(grid["staff"])
    response = client.get(reverse("patrols:workspace"))
    html = response.content.decode()
    assert f'<option value="{grid["other"].pk}">' in html
    for value in Report.Status.values:
        assert f'<option value="{value}">' in html
    # Reports are vector tiles drawn by Leaflet.VectorGrid (served locally), not markers.
    assert "vendor/leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.min.js" in html
    assert "markercluster" not in html
    # No tile server by default: the shared map draws vector layers on a plain background.
    assert re.search(r'id="houhu-map-config"[^>]*>[^<]*"tiles": \[\]', html)


def test_staff_are_sent_home_to_the_workspace(client, grid):
    client.force_login(grid["staff"])
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("patrols:workspace")


def test_the_former_patrols_worker_retires_itself_for_the_site_worker(client):
    response = client.get(reverse("patrols:service_worker"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    assert "registration.unregister()" in body
    assert 'addEventListener("fetch"' not in body  # it serves nothing


def _submit(client, villager, **extra):
    client.force_login(villager)
    x, y = villager.household.transformer_area.district.boundary.centroid.coords
    data = {
        "client_id": str(uuid.uuid4()),
        "kind": "tree",
        "lon": f"{x:.7f}",
        "lat": f"{y + 0.00002:.7f}",
        "accuracy_m": "8",
        "location_source": "gps",
        "tree_count": "2",
        "tree_distance_m": "1.5",
        **extra,
    }
    response = client.post("/api/patrols/reports/", data)
    assert response.status_code == 201, response.content
    return Report.objects.get(client_id=data["client_id"])


def test_villager_home_card_counts_open_reports(client, grid):
    _submit(client, grid["villager"])
    _submit(client, grid["villager"], kind="other")
    client.force_login(grid["villager"])
    response = client.get(reverse("accounts:home"))
    html = response.content.decode()
    assert reverse("patrols:report_new") in html
    assert response.context["cards"] and "patrols/villager_card.html" in response.context["cards"]
    assert re.search(r">\s*2\s", html.split('href="/patrols/mine/"', 1)[1])
    assert Report.objects.filter(reporter=grid["villager"]).count() == 2


def test_villager_may_open_their_reports_pages(client, grid):
    report = _submit(client, grid["villager"])
    client.force_login(grid["villager"])
    assert client.get(reverse("patrols:my_reports")).status_code == 200
    response = client.get(reverse("patrols:report_detail", args=[report.pk]))
    assert response.status_code == 200
    assert f"/api/patrols/reports/{report.pk}/" in response.content.decode()
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED


def _form_data(villager, **extra):
    x, y = villager.household.transformer_area.district.boundary.centroid.coords
    return {
        "client_id": str(uuid.uuid4()),
        "kind": "construction",
        "construction_kind": "excavation",
        "construction_stopped": "true",
        "lon": f"{x:.7f}",
        "lat": f"{y + 0.00002:.7f}",
        "location_source": "gps",
        "accuracy_m": "10",
        **extra,
    }


def test_report_form_works_without_javascript(client, grid):
    client.force_login(grid["villager"])
    data = _form_data(grid["villager"])
    response = client.post(reverse("patrols:report_new"), data)
    report = Report.objects.get(client_id=data["client_id"])
    assert response.status_code == 302
    assert response["Location"] == reverse("patrols:report_detail", args=[report.pk])
    assert report.reporter == grid["villager"]
    assert report.kind == Report.Kind.CONSTRUCTION
    assert report.construction_stopped is True
    assert report.district == grid["district"]


def test_report_form_posted_twice_makes_one_report(client, grid):
    client.force_login(grid["villager"])
    data = _form_data(grid["villager"])
    client.post(reverse("patrols:report_new"), data)
    response = client.post(reverse("patrols:report_new"), data)
    assert response.status_code == 302
    assert Report.objects.filter(client_id=data["client_id"]).count() == 1


def test_report_form_refuses_a_location_outside_the_grid_and_writes_nothing(client, grid):
    client.force_login(grid["villager"])
    response = client.post(
        reverse("patrols:report_new"), _form_data(grid["villager"], lon="100.0", lat="20.0")
    )
    assert response.status_code == 400
    assert response.context["error"]
    assert 'role="alert">' in response.content.decode()
    assert _nothing_written()


def test_leader_cannot_post_a_report_through_the_form(client, grid):
    client.force_login(grid["leader"])
    response = client.post(reverse("patrols:report_new"), _form_data(grid["villager"]))
    assert response.status_code == 403
    assert _nothing_written()


def test_leader_may_look_at_the_workspace_but_not_record_findings(client, grid):
    client.force_login(grid["leader"])
    response = client.get(reverse("patrols:workspace"))
    assert response.status_code == 200
    assert f'href="{reverse("patrols:report_new")}"' not in response.content.decode()
    assert _nothing_written()


def test_villager_pages_are_offered_in_english_too(client, grid):
    client.force_login(grid["villager"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(reverse("patrols:report_new")).content.decode()
    assert "Send report" in html
    assert 'lang="en"' in html


# --- "My records" ---------------------------------------------------------------------


def test_my_records_are_paged_and_filtered_to_open_ones_in_one_request(client, grid):
    from tests.patrols.factories import ReportFactory

    villager = grid["villager"]
    for i in range(23):
        ReportFactory(
            reporter=villager,
            district=grid["district"],
            status=Report.Status.SUBMITTED if i % 2 else Report.Status.REJECTED,
        )
    ReportFactory(district=grid["district"])  # someone else's
    client.force_login(villager)

    first = client.get(reverse("patrols:my_reports")).content.decode()
    assert first.count("data-report=") == 20
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get(reverse("patrols:my_reports"), {"page": 2}).content.decode()
    assert second.count("data-report=") == 3
    ids = set(re.findall(r'data-report="(\d+)"', first + second))
    assert ids == {
        str(pk) for pk in Report.objects.filter(reporter=villager).values_list("pk", flat=True)
    }

    open_only = client.get(reverse("patrols:my_reports"), {"open": "1"}).content.decode()
    assert open_only.count("data-report=") == 11
    assert 'rel="next"' not in open_only
    # The list is in the page: no script fetches it again.
    assert "/api/patrols/reports/?" not in first and 'data-api="/api/patrols/reports/"' not in first
