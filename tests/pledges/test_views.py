"""Pages of the compact, per role. Each test checks the database after the request: a page
that says "done" but changed nothing (or changed too much) fails."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.contrib.gis.geos import LineString
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from houhu.accounts.models import User
from pledges.models import Assignment, Compact, CompactVersion, Pledge
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

from .factories import ClauseFactory, CompactFactory, PledgeFactory, PublishedVersionFactory

pytestmark = pytest.mark.django_db

MOTTO_ZH = "你包片、我包段、家家户户包门前"


@pytest.fixture
def grid():
    """One grid with one village of two households 10 m and 30 m south of a 10 kV
    segment, a station compact in force (v1, two clauses), the grid's manager, and a
    second grid with its own household and segment."""
    district = DistrictFactory()
    station = district.station
    ta = TransformerAreaFactory(district=district)
    village = VillageFactory(station=station)
    line = LineFactory(
        station=station,
        geom=LineString(point(0, 0), point(200, 0)),
    )
    segment = SegmentFactory(line=line, district=district, transformer_area=ta, geom=line.geom)
    h1 = HouseholdFactory(transformer_area=ta, village=village, location=point(50, -10))
    h2 = HouseholdFactory(transformer_area=ta, village=village, location=point(150, -30))
    compact = CompactFactory(station=station, title="后湖村规民约")
    version = PublishedVersionFactory(compact=compact, number=1, effective_from=dt.date(2024, 1, 1))
    ClauseFactory(version=version, number=1, text="保护电力线路和配电设施")
    ClauseFactory(version=version, number=2, kind="unsafe_behaviour", text="九个不见了 私拉乱接")
    manager = manager_of(district, display_name="王经理")
    district.manager_phone = "13900001111"
    district.save(update_fields=["manager_phone"])

    other_district = DistrictFactory(station=station)
    other_ta = TransformerAreaFactory(district=other_district)
    other_village = VillageFactory(station=station)
    far = HouseholdFactory(
        transformer_area=other_ta, village=other_village, location=point(3000, 0)
    )
    other_line = LineFactory(station=station, geom=LineString(point(2900, 100), point(3100, 100)))
    other_segment = SegmentFactory(line=other_line, district=other_district, geom=other_line.geom)
    return {
        "district": district,
        "station": station,
        "ta": ta,
        "village": village,
        "segment": segment,
        "h1": h1,
        "h2": h2,
        "version": version,
        "manager": manager,
        "other_district": other_district,
        "far": far,
        "other_segment": other_segment,
    }


def login(client, user):
    client.force_login(user)
    return client


def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 200, 200)).save(buf, "JPEG")
    return buf.getvalue()


# --- villager ----------------------------------------------------------------------------


def test_villager_reads_the_compact_in_force_with_numbered_clauses(client, grid):
    login(client, villager_for(grid["h1"]))
    response = client.get(reverse("pledges:my_compact"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "后湖村规民约" in html
    assert "保护电力线路和配电设施" in html and "九个不见了" in html
    assert MOTTO_ZH in html
    assert 'name="confirm"' in html
    # Light page: no map library before the villager asks for the map.
    assert "leaflet.js" not in html


def test_villager_signs_online_after_ticking_the_confirmation(client, grid):
    villager = villager_for(grid["h1"])
    login(client, villager)
    response = client.post(
        reverse("pledges:sign"), {"version": grid["version"].pk, "confirm": "on"}, follow=True
    )
    assert response.status_code == 200
    pledge = Pledge.objects.get(household=grid["h1"])
    assert pledge.status == Pledge.Status.ACTIVE
    assert pledge.method == Pledge.Method.ONLINE
    assert pledge.version == grid["version"]
    assert pledge.signed_by == villager
    assert 'name="confirm"' not in response.content.decode()


def test_villager_who_does_not_tick_the_box_signs_nothing(client, grid):
    login(client, villager_for(grid["h1"]))
    response = client.post(reverse("pledges:sign"), {"version": grid["version"].pk}, follow=True)
    assert not Pledge.objects.exists()
    assert "error" in [m.tags for m in response.context["messages"]]


def test_villager_cannot_sign_for_another_household(client, grid):
    login(client, villager_for(grid["h1"]))
    client.post(
        reverse("pledges:sign"),
        {"version": grid["version"].pk, "confirm": "on", "household": grid["h2"].pk},
    )
    assert not Pledge.objects.filter(household=grid["h2"]).exists()
    # The only pledge the villager can make is for their own household.
    assert list(Pledge.objects.values_list("household", flat=True)) == [grid["h1"].pk]


def test_villager_signing_twice_gets_an_error_and_keeps_one_pledge(client, grid):
    login(client, villager_for(grid["h1"]))
    data = {"version": grid["version"].pk, "confirm": "on"}
    client.post(reverse("pledges:sign"), data)
    response = client.post(reverse("pledges:sign"), data, follow=True)
    assert Pledge.objects.filter(household=grid["h1"]).count() == 1
    assert "error" in [m.tags for m in response.context["messages"]]


def test_villager_cannot_sign_a_superseded_version(client, grid):
    old = grid["version"]
    CompactVersion.objects.filter(pk=old.pk).update(status="superseded")
    PublishedVersionFactory(compact=old.compact, number=2)
    login(client, villager_for(grid["h1"]))
    response = client.post(
        reverse("pledges:sign"), {"version": old.pk, "confirm": "on"}, follow=True
    )
    assert not Pledge.objects.exists()
    assert "error" in [m.tags for m in response.context["messages"]]


def test_villager_cannot_sign_a_compact_of_another_village(client, grid):
    other = CompactFactory(
        station=grid["station"], scope=Compact.Scope.VILLAGE, village=grid["far"].village
    )
    version = PublishedVersionFactory(compact=other, number=1)
    login(client, villager_for(grid["h1"]))
    client.post(reverse("pledges:sign"), {"version": version.pk, "confirm": "on"})
    assert not Pledge.objects.filter(version=version).exists()


def test_villager_home_card_asks_to_sign_then_shows_signed(client, grid):
    login(client, villager_for(grid["h1"]))
    html = client.get(reverse("accounts:home")).content.decode()
    assert 'id="pledge-card"' in html and reverse("pledges:my_compact") in html
    assert "reminder" in html
    client.post(reverse("pledges:sign"), {"version": grid["version"].pk, "confirm": "on"})
    html = client.get(reverse("accounts:home")).content.decode()
    assert 'class="card" id="pledge-card"' in html


def test_villager_home_card_reminds_when_pledge_is_due_for_renewal(client, grid, settings):
    settings.PLEDGES_RENEWAL_DAYS = 365
    PledgeFactory(
        household=grid["h1"],
        version=grid["version"],
        signed_at=dt.datetime(2023, 1, 5, tzinfo=dt.UTC),
    )
    login(client, villager_for(grid["h1"]))
    html = client.get(reverse("accounts:home")).content.decode()
    assert "reminder" in html


def test_villager_is_sent_away_from_staff_pages(client, grid):
    login(client, villager_for(grid["h1"]))
    for name in ("pledges:staff_home", "pledges:coverage_map", "pledges:assign_map"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url == reverse("pledges:my_compact")


def test_villager_sees_own_front_door_on_responsibility_map(client, grid):
    Assignment.objects.create(
        scope="front_door",
        district=grid["district"],
        segment=grid["segment"],
        household=grid["h1"],
        valid_from=dt.date(2024, 1, 1),
        front_door_state="confirmed",
        distance_m=10.0,
    )
    login(client, villager_for(grid["h1"]))
    html = client.get(reverse("pledges:my_responsibility")).content.decode()
    assert grid["segment"].code in html
    assert "leaflet.js" in html  # only as a URL in the lazy-load config, not a <script>
    assert '<script src="/static/leaflet/leaflet.js"' not in html
    data = client.get(reverse("pledges:my_responsibility_geojson")).json()
    kinds = sorted(f["properties"]["scope"] for f in data["features"])
    assert kinds == ["front_door", "home"]


def test_villager_prints_only_their_own_pledge_card(client, grid):
    login(client, villager_for(grid["h1"]))
    assert client.get(reverse("pledges:pledge_card", args=[grid["h1"].pk])).status_code == 200
    assert client.get(reverse("pledges:pledge_card", args=[grid["h2"].pk])).status_code == 404


# --- staff and grid managers -------------------------------------------------------------


def test_grid_manager_records_a_paper_signing_with_scan_and_witness(client, grid):
    login(client, grid["manager"])
    response = client.post(
        reverse("pledges:paper_signing") + f"?household={grid['h2'].pk}",
        {
            "household": grid["h2"].pk,
            "signed_on": "2024-03-02",
            "signatory": "户主本人",
            "witness": "村主任",
            "scan": SimpleUploadedFile("sheet.jpg", jpeg_bytes(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    pledge = Pledge.objects.get(household=grid["h2"])
    assert pledge.method == Pledge.Method.PAPER
    assert (pledge.signatory_name, pledge.witness_name) == ("户主本人", "村主任")
    assert pledge.recorded_by == grid["manager"]
    assert pledge.scan


def test_corrupt_scan_is_refused_and_nothing_is_saved(client, grid):
    login(client, grid["manager"])
    response = client.post(
        reverse("pledges:paper_signing"),
        {
            "household": grid["h2"].pk,
            "signed_on": "2024-03-02",
            "signatory": "户主",
            "witness": "村主任",
            "scan": SimpleUploadedFile(
                "sheet.jpg", b"\xff\xd8not a jpeg", content_type="image/jpeg"
            ),
        },
    )
    assert response.status_code == 400
    assert "scan" in response.context["form"].errors
    assert not Pledge.objects.exists()


def test_grid_manager_cannot_record_a_signing_outside_their_district(client, grid):
    login(client, grid["manager"])
    response = client.post(
        reverse("pledges:paper_signing"),
        {
            "household": grid["far"].pk,
            "signed_on": "2024-03-02",
            "signatory": "户主",
            "witness": "村主任",
            "scan": SimpleUploadedFile("sheet.jpg", jpeg_bytes(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    assert not Pledge.objects.exists()


def test_grid_manager_assigns_selected_segments_to_a_line_guard(client, grid):
    login(client, grid["manager"])
    response = client.post(
        reverse("pledges:assign_map") + f"?district={grid['district'].pk}",
        {
            "district": grid["district"].pk,
            "segments": str(grid["segment"].pk),
            "area": "",
            "person_name": "护线员老李",
            "person_phone": "13700000001",
            "valid_from": "2025-01-01",
            "is_primary": "on",
        },
    )
    assert response.status_code == 302
    a = Assignment.objects.get(segment=grid["segment"], scope="segment")
    assert (a.person_name, a.is_primary, a.valid_until) == ("护线员老李", True, None)
    assert a.created_by == grid["manager"]


def test_overlapping_primary_assignment_is_refused_with_a_message(client, grid):
    login(client, grid["manager"])
    data = {
        "district": grid["district"].pk,
        "segments": str(grid["segment"].pk),
        "area": "",
        "person_name": "护线员老李",
        "valid_from": "2025-01-01",
        "is_primary": "on",
    }
    client.post(reverse("pledges:assign_map"), data)
    response = client.post(reverse("pledges:assign_map"), {**data, "person_name": "老张"})
    assert response.status_code == 400
    assert Assignment.objects.filter(segment=grid["segment"]).count() == 1
    assert "error" in [m.tags for m in response.context["messages"]]


def test_grid_manager_cannot_assign_outside_their_district(client, grid):
    login(client, grid["manager"])
    # Their own district chosen, a foreign segment smuggled into the selection.
    response = client.post(
        reverse("pledges:assign_map"),
        {
            "district": grid["district"].pk,
            "segments": str(grid["other_segment"].pk),
            "area": "",
            "person_name": "老李",
            "valid_from": "2025-01-01",
            "is_primary": "on",
        },
    )
    assert response.status_code == 400
    # The foreign district itself is not theirs to pick.
    assert (
        client.get(
            reverse("pledges:assign_map") + f"?district={grid['other_district'].pk}"
        ).status_code
        == 404
    )
    assert not Assignment.objects.exists()


def test_staff_draws_a_patch_for_a_village_cadre(client, grid):
    staff = UserFactory(role=User.Role.STAFF, station=grid["station"])
    login(client, staff)
    c = grid["district"].boundary.centroid
    ring = [
        point(dx, dy, x0=c.x, y0=c.y) for dx, dy in ((0, 0), (99, 0), (99, 99), (0, 99), (0, 0))
    ]
    geojson = json.dumps({"type": "Polygon", "coordinates": [[[p.x, p.y] for p in ring]]})
    response = client.post(
        reverse("pledges:assign_map"),
        {
            "district": grid["district"].pk,
            "segments": "",
            "area": geojson,
            "person_name": "村干部",
            "valid_from": "2025-01-01",
        },
    )
    assert response.status_code == 302
    a = Assignment.objects.get(scope="patch")
    assert a.patch.num_coords == 5 and a.person_name == "村干部"


def test_a_drawn_patch_with_an_impossible_coordinate_is_refused(client, grid):
    login(client, grid["manager"])
    response = client.post(
        reverse("pledges:assign_map"),
        {
            "district": grid["district"].pk,
            "segments": "",
            "area": '{"type":"Polygon","coordinates":[[[500,30],[501,30],[501,31],[500,30]]]}',
            "person_name": "村干部",
            "valid_from": "2025-01-01",
        },
    )
    assert response.status_code == 400
    assert not Assignment.objects.exists()


def test_leader_reads_coverage_but_cannot_assign(client, grid):
    leader = UserFactory(role=User.Role.LEADER, county=grid["station"].county)
    login(client, leader)
    assert client.get(reverse("pledges:coverage_tables")).status_code == 200
    html = client.get(reverse("pledges:staff_home")).content.decode()
    assert reverse("pledges:assign_map") not in html
    response = client.post(
        reverse("pledges:assign_map"),
        {
            "district": grid["district"].pk,
            "segments": str(grid["segment"].pk),
            "area": "",
            "person_name": "老李",
            "valid_from": "2025-01-01",
            "is_primary": "on",
        },
    )
    assert response.status_code == 403
    assert not Assignment.objects.exists()


def test_staff_edits_a_draft_then_publishes_it_superseding_the_old_version(client, grid):
    staff = UserFactory(role=User.Role.STAFF, station=grid["station"])
    login(client, staff)
    old = grid["version"]
    response = client.post(reverse("pledges:compact_new_version", args=[old.compact_id]))
    draft = CompactVersion.objects.get(compact=old.compact, status="draft")
    assert response.url == reverse("pledges:version_detail", args=[draft.pk])
    first, second = draft.clauses.order_by("number")
    url = reverse("pledges:version_detail", args=[draft.pk])
    client.post(
        url, {"action": "save", "clause": first.pk, "kind": "protection", "text": "保护线路"}
    )
    client.post(url, {"action": "add", "number": 1, "kind": "tree_clearing", "text": "清理树障"})
    client.post(url, {"action": "delete", "clause": second.pk, "kind": second.kind, "text": "x"})
    assert [c.text for c in draft.clauses.order_by("number")] == ["清理树障", "保护线路"]
    client.post(
        reverse("pledges:version_publish", args=[draft.pk]), {"effective_from": "2025-01-01"}
    )
    draft.refresh_from_db()
    old.refresh_from_db()
    assert draft.status == "published" and old.status == "superseded"
    # The old version stays readable and its clauses untouched.
    assert client.get(reverse("pledges:version_detail", args=[old.pk])).status_code == 200
    assert old.clauses.count() == 2


def test_moving_a_clause_up_reorders_the_draft(client, grid):
    staff = UserFactory(role=User.Role.STAFF, station=grid["station"])
    login(client, staff)
    client.post(reverse("pledges:compact_new_version", args=[grid["version"].compact_id]))
    draft = CompactVersion.objects.get(compact=grid["version"].compact, status="draft")
    last = draft.clauses.order_by("number").last()
    client.post(
        reverse("pledges:version_detail", args=[draft.pk]),
        {"action": "up", "clause": last.pk, "kind": last.kind, "text": last.text},
    )
    assert list(draft.clauses.order_by("number").values_list("text", flat=True)) == [
        "九个不见了 私拉乱接",
        "保护电力线路和配电设施",
    ]


def test_a_published_version_is_not_edited_in_place(client, grid):
    staff = UserFactory(role=User.Role.STAFF, station=grid["station"])
    login(client, staff)
    version = grid["version"]
    clause = version.clauses.order_by("number").first()
    response = client.post(
        reverse("pledges:version_detail", args=[version.pk]),
        {"action": "save", "clause": clause.pk, "kind": "other", "text": "改过的条款"},
        follow=True,
    )
    assert "error" in [m.tags for m in response.context["messages"]]
    assert sorted(version.clauses.values_list("text", flat=True)) == [
        "九个不见了 私拉乱接",
        "保护电力线路和配电设施",
    ]


def test_grid_manager_cannot_edit_the_compact(client, grid):
    login(client, grid["manager"])
    client.post(reverse("pledges:compact_new_version", args=[grid["version"].compact_id]))
    assert not CompactVersion.objects.filter(status="draft").exists()


def test_staff_creates_a_village_compact_draft(client, grid):
    staff = UserFactory(role=User.Role.STAFF, station=grid["station"])
    login(client, staff)
    response = client.post(
        reverse("pledges:compact_create"),
        {"title": "张家窑村规民约", "scope": "village", "village": grid["village"].pk},
    )
    compact = Compact.objects.get(title="张家窑村规民约")
    assert (compact.scope, compact.village) == ("village", grid["village"])
    assert response.url == reverse("pledges:version_detail", args=[compact.versions.get().pk])


def test_pledge_card_prints_household_clauses_and_manager_phone(client, grid):
    login(client, grid["manager"])
    html = client.get(reverse("pledges:pledge_card", args=[grid["h1"].pk])).content.decode()
    assert grid["h1"].customer_number in html and "13900001111" in html
    assert "保护电力线路和配电设施" in html and MOTTO_ZH in html
    assert client.get(reverse("pledges:pledge_card", args=[grid["far"].pk])).status_code == 404


def test_renewal_list_shows_lapsed_pledges_of_the_managers_grid_only(client, grid, settings):
    settings.PLEDGES_RENEWAL_DAYS = 365
    old = dt.datetime(2023, 1, 5, 12, tzinfo=dt.UTC)
    PledgeFactory(household=grid["h1"], version=grid["version"], signed_at=old)
    PledgeFactory(household=grid["h2"], version=grid["version"])  # fresh: not due
    PledgeFactory(household=grid["far"], version=grid["version"], signed_at=old)
    login(client, grid["manager"])
    response = client.get(reverse("pledges:renewal_visits"))
    assert [h.pk for h in response.context["households"]] == [grid["h1"].pk]
    html = response.content.decode()
    assert grid["h1"].customer_number in html and grid["village"].name in html
    # The visit form is one tap away on each card.
    assert f"{reverse('pledges:visit_new')}?household={grid['h1'].pk}" in html
    # "All households" lists the fresh one too; a search narrows by customer number.
    everyone = client.get(reverse("pledges:renewal_visits"), {"due": "0"}).context["households"]
    assert {h.pk for h in everyone} == {grid["h1"].pk, grid["h2"].pk}
    found = client.get(
        reverse("pledges:renewal_visits"), {"due": "0", "q": grid["h2"].customer_number}
    ).context["households"]
    assert [h.pk for h in found] == [grid["h2"].pk]


def test_renewal_list_pages_through_every_household_due_and_prints_them_all(client, grid, settings):
    from tests.factories import HouseholdFactory

    settings.PLEDGES_RENEWAL_DAYS = 365
    old = dt.datetime(2023, 1, 5, 12, tzinfo=dt.UTC)
    area, village = grid["h1"].transformer_area, grid["h1"].village
    due = [grid["h1"]] + [
        HouseholdFactory(transformer_area=area, village=village) for _ in range(64)
    ]
    for h in due:
        PledgeFactory(household=h, version=grid["version"], signed_at=old)
    login(client, grid["manager"])
    seen = []
    page = 1
    while True:
        response = client.get(reverse("pledges:renewal_visits"), {"page": page})
        seen += [h.pk for h in response.context["households"]]
        if not response.context["page"].has_next():
            break
        page += 1
    assert sorted(seen) == sorted(h.pk for h in due) and page == 3
    printed = client.get(reverse("pledges:renewal_visits"), {"print": "1"}).context["households"]
    assert len(printed) == len(due)


def test_coverage_tables_list_unsigned_households_and_unassigned_segments(client, grid):
    PledgeFactory(household=grid["h1"], version=grid["version"])
    login(client, grid["manager"])
    response = client.get(reverse("pledges:coverage_tables"))
    assert [h.pk for h in response.context["unsigned"]] == [grid["h2"].pk]
    assert [s.pk for s in response.context["unassigned"]] == [grid["segment"].pk]
    html = response.content.decode()
    assert "50.0%" in html  # 1 of 2 households signed


def test_csv_import_with_a_bad_row_imports_nothing_and_reports_it(client, grid):
    login(client, grid["manager"])
    body = (
        "customer_number,signed_on,signatory,witness\n"
        f"{grid['h1'].customer_number},2024-05-01,户主,村主任\n"
        "0000000000,2024-05-01,户主,村主任\n"
    ).encode()
    response = client.post(
        reverse("pledges:import_csv"),
        {"file": SimpleUploadedFile("p.csv", body, content_type="text/csv")},
    )
    assert response.status_code == 400
    assert not Pledge.objects.exists()
    assert "0000000000" in response.content.decode()


def test_csv_import_of_good_rows_creates_paper_pledges(client, grid):
    login(client, grid["manager"])
    body = (
        "customer_number,signed_on,signatory,witness\n"
        f"{grid['h1'].customer_number},2024-05-01,户主,村主任\n"
        f"{grid['h2'].customer_number},2024-05-02,户主,村主任\n"
    ).encode()
    response = client.post(
        reverse("pledges:import_csv"),
        {"file": SimpleUploadedFile("p.csv", body, content_type="text/csv")},
    )
    assert response.status_code == 200
    assert set(Pledge.objects.values_list("household", flat=True)) == {grid["h1"].pk, grid["h2"].pk}


def test_csv_template_downloads_with_the_expected_header(client, grid):
    login(client, grid["manager"])
    response = client.get(reverse("pledges:import_template"))
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "customer_number,signed_on,signatory,witness"


@pytest.mark.parametrize(
    "name",
    [
        "staff_home",
        "compact_list",
        "coverage_map",
        "coverage_tables",
        "renewal_visits",
        "paper_signing",
        "assign_map",
        "import_csv",
    ],
)
def test_staff_pages_render_for_a_grid_manager(client, grid, name):
    login(client, grid["manager"])
    assert client.get(reverse(f"pledges:{name}")).status_code == 200


def _proposed_front_door(grid, household):
    return Assignment.objects.create(
        scope="front_door",
        district=grid["district"],
        segment=grid["segment"],
        household=household,
        valid_from=dt.date(2024, 1, 1),
        front_door_state="proposed",
        distance_m=10.0,
    )


def test_grid_manager_confirms_a_proposed_front_door(client, grid):
    door = _proposed_front_door(grid, grid["h1"])
    login(client, grid["manager"])
    html = client.get(reverse("pledges:assign_map")).content.decode()
    assert 'id="proposed-front-doors"' in html
    client.post(reverse("pledges:front_door_action", args=[door.pk]), {"action": "confirm"})
    door.refresh_from_db()
    assert door.front_door_state == "confirmed"


def test_grid_manager_moves_a_front_door_to_the_selected_segment(client, grid):
    door = _proposed_front_door(grid, grid["h1"])
    line = LineFactory(station=grid["station"], geom=LineString(point(0, -40), point(200, -40)))
    nearer = SegmentFactory(line=line, district=grid["district"], geom=line.geom)
    login(client, grid["manager"])
    client.post(
        reverse("pledges:front_door_action", args=[door.pk]),
        {"action": "adjust", "segments": str(nearer.pk)},
    )
    door.refresh_from_db()
    assert (door.segment, door.front_door_state) == (nearer, "adjusted")
    assert door.distance_m == pytest.approx(30.0, abs=0.5)  # 10 m south of y=0, 30 m north of y=-40


def test_grid_manager_cannot_move_a_front_door_to_another_grids_segment(client, grid):
    door = _proposed_front_door(grid, grid["h1"])
    login(client, grid["manager"])
    client.post(
        reverse("pledges:front_door_action", args=[door.pk]),
        {"action": "adjust", "segments": str(grid["other_segment"].pk)},
    )
    door.refresh_from_db()
    assert (door.segment, door.front_door_state) == (grid["segment"], "proposed")


def test_renewal_visit_records_a_paper_renewal_and_keeps_the_old_pledge(client, grid, settings):
    settings.PLEDGES_RENEWAL_DAYS = 365
    old = PledgeFactory(
        household=grid["h1"],
        version=grid["version"],
        signed_at=dt.datetime(2023, 1, 5, 12, tzinfo=dt.UTC),
    )
    login(client, grid["manager"])
    response = client.post(
        reverse("pledges:paper_signing"),
        {
            "household": grid["h1"].pk,
            "signed_on": "2025-01-02",
            "signatory": "户主",
            "witness": "村主任",
            "scan": SimpleUploadedFile("sheet.jpg", jpeg_bytes(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.status == "renewed"
    new = Pledge.objects.get(household=grid["h1"], status="active")
    assert new.previous == old and new.method == "paper"


def test_staff_records_a_withdrawal_which_stays_in_the_history(client, grid):
    pledge = PledgeFactory(household=grid["h1"], version=grid["version"])
    login(client, grid["manager"])
    client.post(reverse("pledges:pledge_withdraw", args=[pledge.pk]), {"note": "搬迁"})
    pledge.refresh_from_db()
    assert pledge.status == "withdrawn"
    html = client.get(
        reverse("pledges:paper_signing") + f"?household={grid['h1'].pk}"
    ).content.decode()
    assert 'id="pledge-history"' in html


def test_grid_manager_cannot_withdraw_a_pledge_outside_their_grid(client, grid):
    pledge = PledgeFactory(household=grid["far"], version=grid["version"])
    login(client, grid["manager"])
    response = client.post(reverse("pledges:pledge_withdraw", args=[pledge.pk]))
    assert response.status_code == 404
    pledge.refresh_from_db()
    assert pledge.status == "active"


def test_grid_manager_ends_a_segment_responsibility_and_history_stays(client, grid):
    login(client, grid["manager"])
    client.post(
        reverse("pledges:assign_map"),
        {
            "district": grid["district"].pk,
            "segments": str(grid["segment"].pk),
            "area": "",
            "person_name": "护线员老李",
            "valid_from": "2025-01-01",
            "is_primary": "on",
        },
    )
    a = Assignment.objects.get(scope="segment")
    client.post(reverse("pledges:assignment_end", args=[a.pk]))
    a.refresh_from_db()
    assert a.valid_until == timezone.localdate() and a.cancelled_at is None
    assert a.events.filter(action="ended").exists()


def test_villager_page_is_in_chinese_by_default_and_english_on_request(client, grid, settings):
    login(client, villager_for(grid["h1"]))
    html = client.get(reverse("pledges:my_compact")).content.decode()
    assert "签订村规民约" in html and "Sign the compact" not in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("pledges:my_compact")).content.decode()
    assert "Sign the compact" in html
    assert MOTTO_ZH in html  # the compact's own motto, with its English gloss below
    assert "every household takes the stretch in front of its door" in html
