"""Factories for the core domain. Geometry is built around a small square near Houhu so
that distances can be checked by hand: at 30.45 N one degree of longitude is ~96.0 km and
one degree of latitude ~110.9 km."""

from __future__ import annotations

import factory
from django.contrib.gis.geos import LineString, Point, Polygon

from houhu.accounts.models import User
from houhu.grid import models as grid

LON0, LAT0 = 112.80, 30.45


def square(x0: float = LON0, y0: float = LAT0, size: float = 0.02) -> Polygon:
    return Polygon(
        ((x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size), (x0, y0)),
        srid=4326,
    )


class CountyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = grid.County
        django_get_or_create = ("code",)

    code = "qianjiang"
    name = "潜江市"


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = grid.Station

    county = factory.SubFactory(CountyFactory)
    code = factory.Sequence(lambda n: f"station-{n}")
    name = factory.Sequence(lambda n: f"后湖供电所{n}")
    households_served = 13700


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = grid.District

    station = factory.SubFactory(StationFactory)
    code = factory.Sequence(lambda n: f"district-{n}")
    name = factory.Sequence(lambda n: f"第{n}网格")
    # Each new district gets its own square, side by side, so they never overlap.
    boundary = factory.Sequence(lambda n: square(LON0 + 0.02 * n, LAT0))


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = grid.Village

    station = factory.SubFactory(StationFactory)
    code = factory.Sequence(lambda n: f"village-{n}")
    name = factory.Sequence(lambda n: f"张家窑{n}村")
    office = "关庙办事处"


class TransformerAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = grid.TransformerArea

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"ta-{n}")
    name = factory.Sequence(lambda n: f"{n}号台区")
    capacity_kva = 200
    transformer = factory.LazyAttribute(lambda o: o.district.boundary.centroid)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = grid.Household

    customer_number = factory.Sequence(lambda n: f"42{n:08d}")
    head_name = factory.Sequence(lambda n: f"户主{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    transformer_area = factory.SubFactory(TransformerAreaFactory)
    village = factory.SubFactory(
        VillageFactory, station=factory.SelfAttribute("..transformer_area.district.station")
    )
    location = factory.LazyAttribute(lambda o: o.transformer_area.transformer.clone())


class LineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = grid.Line

    station = factory.SubFactory(StationFactory)
    code = factory.Sequence(lambda n: f"line-{n}")
    name = factory.Sequence(lambda n: f"10kV后{n}线")
    voltage_kv = 10
    geom = LineString((LON0, LAT0 + 0.01), (LON0 + 0.02, LAT0 + 0.01), srid=4326)


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = grid.Segment

    line = factory.SubFactory(LineFactory)
    seq = factory.Sequence(lambda n: n)
    code = factory.Sequence(lambda n: f"seg-{n}")
    district = factory.SubFactory(DistrictFactory)
    geom = factory.LazyAttribute(lambda o: o.line.geom.clone())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    role = User.Role.STAFF
    password = factory.PostGenerationMethodCall("set_password", "pass-houhu-2016")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def villager_for(household: grid.Household, **kwargs) -> User:
    return UserFactory(
        role=User.Role.VILLAGER,
        household=household,
        username=household.phone,
        phone=household.phone,
        **kwargs,
    )


def manager_of(district: grid.District, **kwargs) -> User:
    user = UserFactory(role=User.Role.GRID_MANAGER, station=district.station, **kwargs)
    district.manager = user
    district.save(update_fields=["manager"])
    return user


def point(dx_m: float = 0.0, dy_m: float = 0.0, x0: float = LON0, y0: float = LAT0) -> Point:
    """A point dx_m east and dy_m north of (x0, y0), with the local metres per degree."""
    import math

    m_per_deg_lat = 110_900.0
    m_per_deg_lon = 111_320.0 * math.cos(math.radians(y0))
    return Point(x0 + dx_m / m_per_deg_lon, y0 + dy_m / m_per_deg_lat, srid=4326)
