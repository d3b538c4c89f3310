"""The demo generator: the Houhu station at real size, with geometry that holds together.

Loading a station takes a few seconds, so one module-scoped load (rolled back at the end)
serves every database test here; the properties are checked in PostGIS, where the rest
of the application will rely on them.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F

from houhu.accounts.models import User
from houhu.grid import demo
from houhu.grid.models import District, Household, Line, Segment, Station, TransformerArea, Village

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """`load_demo` once for the module (without other apps' steps), rolled back afterwards."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo, "STEPS", [])
        with transaction.atomic():
            out = StringIO()
            call_command("load_demo", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)


def scalar(sql: str, params: tuple = ()) -> object:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def table_counts() -> dict[str, int]:
    models = (Station, District, Village, TransformerArea, Household, Line, Segment, User)
    return {m.__name__: m.objects.count() for m in models}


def test_loads_the_station_at_real_size(loaded):
    station = Station.objects.get(code="houhu")
    assert station.name == "后湖供电所"
    assert station.county.code == "qianjiang" and station.county.name == "潜江市"
    assert station.households_served == 13_700
    assert District.objects.filter(station=station).count() == 7
    assert TransformerArea.objects.filter(district__station=station).count() == 157
    households = Household.objects.filter(transformer_area__district__station=station)
    assert households.count() == 13_700
    assert households.filter(is_aquaculture=True).count() == 1_811
    # Every grid has transformer areas and households; aquaculture is spread widely.
    for district in District.objects.filter(station=station):
        assert district.transformer_areas.count() >= 10
        assert households.filter(transformer_area__district=district).count() >= 500
    assert (
        households.filter(is_aquaculture=True).values("transformer_area").distinct().count() > 100
    )
    lines = Line.objects.filter(station=station)
    assert 20 <= lines.count() <= 60
    assert set(lines.values_list("voltage_kv", flat=True)) == {10}
    assert 150 <= Segment.objects.filter(line__station=station).count() <= 600
    assert "13700" in loaded and "1811" in loaded  # the printed summary


def test_households_lie_in_their_grid_and_their_transformer_area(loaded):
    outside_grid = scalar(
        """SELECT count(*) FROM grid_household h
           JOIN grid_transformerarea t ON t.id = h.transformer_area_id
           JOIN grid_district d ON d.id = t.district_id
           WHERE NOT ST_Within(h.location, d.boundary)"""
    )
    outside_area = scalar(
        """SELECT count(*) FROM grid_household h
           JOIN grid_transformerarea t ON t.id = h.transformer_area_id
           WHERE t.area IS NOT NULL AND NOT ST_Within(h.location, t.area)"""
    )
    assert (outside_grid, outside_area) == (0, 0)
    # Villages belong to the household's station; customer numbers and phones are unique.
    assert not Household.objects.exclude(
        village__station=F("transformer_area__district__station")
    ).exists()
    assert scalar("SELECT count(DISTINCT phone) = count(*) FROM grid_household") is True
    assert scalar("SELECT bool_and(phone ~ '^1[3-9][0-9]{9}$') FROM grid_household") is True


def test_households_cluster_along_the_lines(loaded):
    # Houses line the roads the feeders follow: nine in ten within 500 m of a segment.
    p90 = scalar(
        """SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY dist) FROM (
             SELECT (SELECT ST_Distance(h.location::geography, s.geom::geography)
                     FROM grid_segment s ORDER BY s.geom <-> h.location LIMIT 1) AS dist
             FROM grid_household h) x"""
    )
    assert p90 < 500


def test_grids_tile_the_station_without_overlap(loaded):
    overlapping = scalar(
        """SELECT count(*) FROM grid_district a JOIN grid_district b
             ON a.station_id = b.station_id AND a.id < b.id
           WHERE ST_Overlaps(a.boundary, b.boundary)
              OR ST_Area(ST_Intersection(a.boundary, b.boundary)) > 0"""
    )
    assert overlapping == 0
    # No gaps: the grids' union is one polygon without holes, as large as their sum.
    parts, holes, ratio = (
        scalar(sql)
        for sql in (
            "SELECT ST_NumGeometries(ST_Union(boundary)) FROM grid_district",
            "SELECT ST_NumInteriorRings(ST_GeometryN(ST_Union(boundary), 1)) FROM grid_district",
            "SELECT ST_Area(ST_Union(boundary)) / sum(ST_Area(boundary)) FROM grid_district",
        )
    )
    assert (parts, holes) == (1, 0)
    assert ratio == pytest.approx(1.0, abs=1e-9)
    # Transformer areas: within their grid, not overlapping one another.
    assert (
        scalar(
            """SELECT count(*) FROM grid_transformerarea t
           JOIN grid_district d ON d.id = t.district_id
           WHERE NOT ST_Within(t.transformer, d.boundary)
              OR (t.area IS NOT NULL AND NOT ST_Within(t.area, d.boundary))"""
        )
        == 0
    )
    assert (
        scalar(
            """SELECT count(*) FROM grid_transformerarea a JOIN grid_transformerarea b
             ON a.district_id = b.district_id AND a.id < b.id
           WHERE ST_Area(ST_Intersection(a.area, b.area)) > 0"""
        )
        == 0
    )


def test_segments_lie_in_one_grid_and_follow_their_line(loaded):
    assert (
        scalar(
            """SELECT count(*) FROM grid_segment s JOIN grid_district d ON d.id = s.district_id
           WHERE NOT ST_Within(s.geom, d.boundary)"""
        )
        == 0
    )
    # Each segment's nearest transformer area is in the same grid.
    assert not Segment.objects.filter(transformer_area__isnull=True).exists()
    assert (
        scalar(
            """SELECT count(*) FROM grid_segment s JOIN grid_transformerarea t
             ON t.id = s.transformer_area_id WHERE t.district_id <> s.district_id"""
        )
        == 0
    )
    # In `seq` order, each segment starts where the previous one ended (to a millimetre)
    # and further along the line; together they cover the whole line.
    out_of_order = scalar(
        """SELECT count(*) FROM (
             SELECT s.geom, l.geom AS line,
                    lag(s.geom) OVER (PARTITION BY s.line_id ORDER BY s.seq) AS prev
             FROM grid_segment s JOIN grid_line l ON l.id = s.line_id) x
           WHERE prev IS NOT NULL AND (
             ST_Distance(ST_EndPoint(prev)::geography, ST_StartPoint(geom)::geography) > 0.001
             OR ST_LineLocatePoint(line, ST_StartPoint(geom))
                < ST_LineLocatePoint(line, ST_StartPoint(prev)))"""
    )
    assert out_of_order == 0
    worst_coverage = scalar(
        """SELECT min(seg_len / ST_Length(l.geom)) FROM grid_line l JOIN (
             SELECT line_id, sum(ST_Length(geom)) AS seg_len FROM grid_segment GROUP BY line_id
           ) s ON s.line_id = l.id"""
    )
    assert worst_coverage == pytest.approx(1.0, abs=1e-4)
    assert (
        scalar(
            """SELECT count(*) FROM (SELECT line_id FROM grid_segment GROUP BY line_id
           HAVING min(seq) <> 1 OR max(seq) <> count(*)) x"""
        )
        == 0
    )
    assert Line.objects.filter(code="10kv-hou-01", name="10kV后湖一回线").exists()


def test_all_geometry_is_valid_and_in_the_houhu_area(loaded):
    checks = {
        "grid_district": "boundary",
        "grid_transformerarea": "area",
        "grid_line": "geom",
        "grid_segment": "geom",
        "grid_household": "location",
        "grid_village": "centre",
    }
    for table, column in checks.items():
        invalid, outside = scalar(
            f"""SELECT ARRAY[count(*) FILTER (WHERE NOT ST_IsValid({column})),
                             count(*) FILTER (WHERE NOT ST_CoveredBy({column},
                               ST_MakeEnvelope(112.65, 30.35, 112.95, 30.55, 4326)))]
                FROM {table} WHERE {column} IS NOT NULL"""  # noqa: S608 - fixed names above
        )
        assert (table, invalid, outside) == (table, 0, 0)


def test_named_places_exist(loaded):
    villages = Village.objects.filter(station__code="houhu")
    assert villages.filter(office="关庙办事处").exists()
    assert villages.filter(office="天心场办事处").exists()
    assert villages.filter(name="张家窑分场村").count() == 1
    assert villages.count() >= 20
    assert not villages.filter(office="").exists()
    assert not villages.filter(households__isnull=True).exists()


def test_demo_accounts(loaded):
    station = Station.objects.get(code="houhu")
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.role == User.Role.ADMIN
    leader = User.objects.get(username="leader")
    assert leader.role == User.Role.LEADER and leader.county == station.county

    staff = User.objects.filter(station=station)
    assert staff.count() == 22
    managers = staff.filter(role=User.Role.GRID_MANAGER)
    assert sorted(managers.values_list("username", flat=True)) == [
        f"manager{i}" for i in range(1, 8)
    ]
    assert staff.filter(role=User.Role.STAFF).count() == 15
    assert {f"staff{i:02d}" for i in range(1, 16)} <= set(staff.values_list("username", flat=True))
    # Each manager manages exactly one grid, and the grid posts the manager's phone.
    districts = District.objects.filter(station=station).select_related("manager")
    assert sorted(d.manager.username for d in districts) == sorted(
        managers.values_list("username", flat=True)
    )
    for district in districts:
        assert district.manager_phone and district.manager_phone == district.manager.phone

    villagers = User.objects.filter(role=User.Role.VILLAGER).select_related("household")
    assert 25 <= villagers.count() <= 40
    for villager in villagers:
        assert villager.username == villager.phone == villager.household.phone
    first = User.objects.get(username="13900000001")
    assert first.household.village.name == "张家窑分场村"

    for username in ("admin", "leader", "manager1", "staff15", "13900000001"):
        assert User.objects.get(username=username).check_password("houhu2016"), username


def test_running_again_adds_nothing(loaded):
    before = table_counts()
    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", "--if-empty", stdout=StringIO())
    assert table_counts() == before


def test_plan_is_deterministic_and_stations_are_disjoint():
    first, again = demo.plan_station(1, seed=7), demo.plan_station(1, seed=7)
    assert first == again
    other_seed = demo.plan_station(1, seed=8)
    assert other_seed.households[0].location != first.households[0].location
    second = demo.plan_station(2, seed=7)
    assert second.code == "houhu-02"
    # A shifted copy: no shared area, no shared identifiers.
    lons = {s: [h.location[0] for h in p.households] for s, p in (("1", first), ("2", second))}
    lats = {s: [h.location[1] for h in p.households] for s, p in (("1", first), ("2", second))}
    assert max(lons["1"]) < min(lons["2"]) or max(lats["2"]) < min(lats["1"])
    for attr in ("customer_number", "phone"):
        ones = {getattr(h, attr) for h in first.households}
        twos = {getattr(h, attr) for h in second.households}
        assert len(ones) == len(twos) == 13_700
        assert not ones & twos

    def codes(plan: demo.StationPlan) -> set[str]:
        segments = {s.code for line in plan.lines for s in line.segments}
        return (
            {d.code for d in plan.districts} | {t.code for t in plan.transformer_areas} | segments
        )

    assert not codes(first) & codes(second)
    assert not {a.username for a in first.accounts} & {a.username for a in second.accounts}


def test_steps_get_the_stations_and_seed(loaded, monkeypatch):
    calls = []

    def step(*, stations, seed):
        calls.append(([s.code for s in stations], seed))

    monkeypatch.setattr(demo, "STEPS", [])
    demo.register_step("demostep", step)
    demo.register_step("demostep", step)  # once per name
    out = StringIO()
    call_command("load_demo", "--seed", "2016", stdout=out)
    assert calls == [(["houhu"], 2016)]
    assert "demostep" in out.getvalue()


def test_an_error_inside_a_step_propagates(loaded, monkeypatch):
    def broken(*, stations, seed):
        raise RuntimeError("broken step")

    monkeypatch.setattr(demo, "STEPS", [("broken", broken)])
    with pytest.raises(RuntimeError, match="broken step"):
        call_command("load_demo", stdout=StringIO())
