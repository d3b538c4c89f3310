"""A small, hand-checkable station for the grid API tests.

Two grids side by side in station S (D1 west, D2 east, each 0.02 degrees square), a third
grid in another station of the same county; one 10 kV line across D1 and D2 at 30.455 N,
cut into one segment per grid. Coordinates are fixed so that bbox tests can be read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.geos import LineString, Point

from houhu.accounts.models import User
from houhu.grid import models as grid
from tests.factories import (
    CountyFactory,
    DistrictFactory,
    HouseholdFactory,
    LineFactory,
    SegmentFactory,
    StationFactory,
    TransformerAreaFactory,
    UserFactory,
    VillageFactory,
    manager_of,
    square,
    villager_for,
)

LAT_LINE = 30.455


@dataclass
class World:
    station: grid.Station
    other_station: grid.Station
    d1: grid.District
    d2: grid.District
    d3: grid.District
    ta1: grid.TransformerArea
    ta2: grid.TransformerArea
    ta3: grid.TransformerArea
    village: grid.Village
    h1: grid.Household
    h2: grid.Household
    h3: grid.Household
    h_other: grid.Household
    line: grid.Line
    seg1: grid.Segment
    seg2: grid.Segment
    staff: User
    manager: User
    leader: User
    villager: User


def build_world() -> World:
    county = CountyFactory()
    station = StationFactory(county=county)
    other = StationFactory(county=county)
    d1 = DistrictFactory(station=station, boundary=square(112.80, 30.45))
    d2 = DistrictFactory(station=station, boundary=square(112.82, 30.45))
    d3 = DistrictFactory(station=other, boundary=square(112.90, 30.45))
    ta1 = TransformerAreaFactory(district=d1, transformer=Point(112.81, 30.46, srid=4326))
    ta2 = TransformerAreaFactory(district=d2, transformer=Point(112.83, 30.46, srid=4326))
    ta3 = TransformerAreaFactory(district=d3, transformer=Point(112.91, 30.46, srid=4326))
    village = VillageFactory(station=station, name="张家窑分场村", office="关庙办事处")
    h1 = HouseholdFactory(
        transformer_area=ta1, village=village, location=Point(112.8112345678, 30.4612345678)
    )
    h2 = HouseholdFactory(
        transformer_area=ta1,
        village=village,
        is_aquaculture=True,
        location=Point(112.812, 30.462, srid=4326),
    )
    h3 = HouseholdFactory(
        transformer_area=ta2, village=village, location=Point(112.832, 30.462, srid=4326)
    )
    h_other = HouseholdFactory(transformer_area=ta3, location=Point(112.912, 30.462, srid=4326))
    line = LineFactory(
        station=station,
        geom=LineString((112.80, LAT_LINE), (112.84, LAT_LINE), srid=4326),
    )
    seg1 = SegmentFactory(
        line=line,
        seq=1,
        district=d1,
        geom=LineString((112.80, LAT_LINE), (112.82, LAT_LINE), srid=4326),
    )
    seg2 = SegmentFactory(
        line=line,
        seq=2,
        district=d2,
        geom=LineString((112.82, LAT_LINE), (112.84, LAT_LINE), srid=4326),
    )
    return World(
        station=station,
        other_station=other,
        d1=d1,
        d2=d2,
        d3=d3,
        ta1=ta1,
        ta2=ta2,
        ta3=ta3,
        village=village,
        h1=h1,
        h2=h2,
        h3=h3,
        h_other=h_other,
        line=line,
        seg1=seg1,
        seg2=seg2,
        staff=UserFactory(role=User.Role.STAFF, station=station),
        manager=manager_of(d1, display_name="王经理"),
        leader=UserFactory(role=User.Role.LEADER, county=county),
        villager=villager_for(h1),
    )
