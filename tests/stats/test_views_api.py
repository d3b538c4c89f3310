"""Dashboard pages, exports and the API: who may read what, read-only, same figures."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from houhu.accounts.models import User
from stats.compute import compute_snapshots
from stats.models import Snapshot
from tests.factories import DistrictFactory, UserFactory, manager_of, villager_for
from tests.stats.factories import JAN, NOW, small_county

pytestmark = pytest.mark.django_db
MONTH = {"month": "2026-01"}


@pytest.fixture
def county():
    c = small_county()
    compute_snapshots(kind="month", first=dt.date(2025, 12, 1), last=JAN, now=NOW)
    compute_snapshots(kind="year", first=JAN, now=NOW)
    return c


@pytest.fixture
def leader(county):
    return UserFactory(role=User.Role.LEADER, county=county.station.county)


def test_leader_home_redirects_to_the_dashboard(client, leader):
    client.force_login(leader)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/stats/"


def test_dashboard_shows_ranking_formula_and_freshness(client, leader, county):
    client.force_login(leader)
    response = client.get("/stats/", MONTH)
    assert response.status_code == 200
    ranking = response.context["ranking"]
    assert [r.scope_id for r in ranking] == [county.d1.pk, county.d2.pk]
    assert (ranking[0].rank, ranking[1].rank) == (1, None)
    body = response.content.decode()
    assert "数据不足" in body  # not enough data, in Chinese by default
    assert "0.25 \u00d7 村规民约签约率" in body  # the formula with its weights
    assert "数据计算于 2026-02-01 00:00 (Asia/Shanghai)" in body


def test_villager_and_grid_manager_cannot_read_statistics(client, county):
    villager = villager_for(county.households[0])
    manager = manager_of(county.d1)
    for user in (villager, manager):
        client.force_login(user)
        assert client.get("/stats/").status_code == 403
        assert client.get("/api/stats/snapshots/").status_code == 403


def test_staff_of_another_station_cannot_open_this_grid(client, county):
    other = DistrictFactory()
    staff = UserFactory(role=User.Role.STAFF, station=other.station)
    client.force_login(staff)
    response = client.get("/stats/", {"level": "district", "id": county.d1.pk, **MONTH})
    assert response.status_code == 403
    api = client.get("/api/stats/snapshots/", {"district": county.d1.pk})
    assert api.json()["count"] == 0


def test_staff_sees_their_station_but_not_the_county_row(client, county):
    staff = UserFactory(role=User.Role.STAFF, station=county.station)
    client.force_login(staff)
    rows = client.get("/api/stats/snapshots/?limit=500").json()["results"]
    levels = {row["level"] for row in rows}
    assert levels == {"transformer_area", "district", "station"}
    assert client.get("/stats/").context["level"] == "station"


def test_posts_are_refused_and_change_nothing(client, leader):
    client.force_login(leader)
    before = list(Snapshot.objects.values_list("pk", "score"))
    assert client.post("/stats/", MONTH).status_code == 405
    assert client.post("/api/stats/snapshots/", {}).status_code == 405
    pk = before[0][0]
    assert client.delete(f"/api/stats/snapshots/{pk}/").status_code == 405
    assert client.patch(f"/api/stats/snapshots/{pk}/", {"score": 1}).status_code == 405
    assert list(Snapshot.objects.values_list("pk", "score")) == before


def test_bad_month_and_unknown_area_are_clear_errors(client, leader):
    client.force_login(leader)
    response = client.get("/api/stats/ranking/", {"level": "county", "id": 1, "month": "2026-13"})
    assert response.status_code == 400
    assert "month" in response.json()
    assert client.get("/stats/", {"level": "district", "id": "x"}).status_code == 404
    assert client.get("/api/stats/choropleth/", {"measure": "bogus"}).status_code == 400


def test_csv_export_has_the_ranking_rows(client, leader, county):
    client.force_login(leader)
    response = client.get("/stats/export/ranking.csv", MONTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][:2] == ["1", county.d1.name]
    assert rows[2][0] == "" and rows[2][1] == county.d2.name
    # Not enough data: no score, and a column that says why (not a text in a number column).
    header = rows[0]
    assert rows[2][header.index("履约得分")] == ""
    assert rows[2][header.index("数据足以排名")] == "否"


def test_excel_export_of_the_trend(client, leader):
    client.force_login(leader)
    response = client.get("/stats/export/trend.xlsx", MONTH)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    months = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    assert months == ["2025-12", "2026-01"]


def test_hazard_export_for_a_district_lists_open_hazards(client, leader, county):
    client.force_login(leader)
    response = client.get(
        "/stats/export/hazards.csv", {"level": "district", "id": county.d1.pk, **MONTH}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    table = rows[1 : rows.index([])] if [] in rows else rows[1:]  # the chain head follows
    assert sorted(int(r[0]) for r in table) == sorted(
        [county.reports["r2"].pk, county.reports["r3"].pk]
    )


def test_printable_report_per_station(client, leader, county):
    client.force_login(leader)
    response = client.get("/stats/report/", {"level": "station", "id": county.station.pk, **MONTH})
    assert response.status_code == 200
    body = response.content.decode()
    assert "@media print" not in body  # the print rules live in the stylesheet
    assert "stats/css/stats.css" in body
    assert county.d1.name in body


def test_api_ranking_and_choropleth(client, leader, county):
    client.force_login(leader)
    ranking = client.get(
        "/api/stats/ranking/", {"level": "county", "id": county.station.county_id, **MONTH}
    ).json()
    assert [(r["scope_name"], r["rank"]) for r in ranking] == [
        (county.d1.name, 1),
        (county.d2.name, None),
    ]
    geo = client.get("/api/stats/choropleth/", {"measure": "open_hazards", **MONTH})
    assert geo["Content-Type"] == "application/geo+json"
    values = {f["properties"]["id"]: f["properties"]["value"] for f in geo.json()["features"]}
    assert values == {county.d1.pk: 2, county.d2.pk: 0}
    tas = client.get(
        "/api/stats/choropleth/",
        {"level": "transformer_area", "measure": "pledge_rate", "parent_level": "district",
         "parent_id": county.d1.pk, **MONTH},
    ).json()  # fmt: skip
    rates = {f["properties"]["id"]: f["properties"]["value"] for f in tas["features"]}
    assert rates == {county.tas[0].pk: pytest.approx(0.5), county.tas[1].pk: 0}


def test_snapshot_api_exposes_provenance(client, leader, county):
    client.force_login(leader)
    rows = client.get(
        "/api/stats/snapshots/",
        {"level": "district", "period": "month", "period_start": "2026-01-01"},
    ).json()["results"]
    d1 = next(r for r in rows if r["scope_id"] == county.d1.pk)
    assert d1["reports"] == 6
    assert d1["pledge_rate"] == pytest.approx(2 / 6)
    assert d1["computed_from"]["reports_total"] == 7
    assert d1["computed_at"].startswith("2026-02-01")


def test_dashboard_before_any_computation_says_so(client):
    c = small_county(with_reports=False)
    leader = UserFactory(role=User.Role.LEADER, county=c.station.county)
    client.force_login(leader)
    response = client.get("/stats/")
    assert response.status_code == 200
    assert "本月数据尚未计算" in response.content.decode()
    assert response.context["ranking"] == []
    assert not Snapshot.objects.exists()


def test_exports_keep_numbers_numeric_and_times_local_with_the_zone(client, leader, county):
    client.force_login(leader)
    d1 = Snapshot.objects.get(
        level="district", scope_id=county.d1.pk, period="month", period_start=JAN
    )
    sheet = load_workbook(
        io.BytesIO(client.get("/stats/export/ranking.xlsx", MONTH).content)
    ).active
    header = [c.value for c in sheet[1]]
    rate = sheet.cell(row=2, column=header.index("村规民约签约率") + 1)
    assert rate.value == pytest.approx(d1.pledge_rate)  # a number, summable and chartable
    assert rate.number_format == "0.0%"
    computed = sheet.cell(row=2, column=header.index("数据计算时间 (Asia/Shanghai)") + 1)
    # Local time, not UTC (Excel has no zones: the header names it).
    assert computed.value == NOW.replace(tzinfo=None)
    csv_rows = list(
        csv.reader(
            io.StringIO(client.get("/stats/export/ranking.csv", MONTH).content.decode("utf-8-sig"))
        )
    )
    header = csv_rows[0]
    assert float(csv_rows[1][header.index("村规民约签约率 (%)")]) == round(d1.pledge_rate * 100, 1)
    assert csv_rows[1][header.index("数据计算时间 (Asia/Shanghai)")] == "2026-02-01 00:00"
