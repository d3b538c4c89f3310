"""A tile already built is served without reading the session, the user or their grids
from PostgreSQL (houhu.accounts.reader_cache): the same bytes as the whole way, and never
to anyone the whole way would refuse now (a log-out, a deactivated account, a new
password, a grid or station taken away)."""

from __future__ import annotations

import pytest
from django.test import Client

from houhu.accounts import reader_cache
from houhu.grid.models import District
from houhu.lib import tilecache
from tests.grid.test_tiles import decode, tile_of
from tests.patrols.factories import build_grid

pytestmark = pytest.mark.django_db


@pytest.fixture
def g():
    return build_grid()


def browser(user) -> Client:
    client = Client(HTTP_ACCEPT_ENCODING="gzip")
    client.force_login(user)
    return client


def path(g, layer: str = "households", z: int = 16) -> str:
    return "/tiles/{}/{}/{}/{}.pbf".format(layer, *tile_of(g.household.location, z))


def test_a_built_tile_is_served_again_without_a_query(g, django_assert_num_queries):
    client = browser(g.staff)
    first = client.get(path(g))
    assert [f["id"] for f in decode(first)] == [g.household.pk]
    with django_assert_num_queries(0):
        again = client.get(path(g))
        revalidated = client.get(path(g), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert again["Content-Encoding"] == "gzip"
    assert revalidated.status_code == 304


def test_a_tile_not_built_yet_goes_the_whole_way_and_is_then_cached(g, django_assert_num_queries):
    client = browser(g.leader)
    client.get(path(g))  # the reader is known from here on
    other = path(g, "segments")
    assert [f["properties"]["code"] for f in decode(client.get(other))]  # built now
    with django_assert_num_queries(0):
        assert client.get(other).status_code == 200


def test_the_grid_filter_is_applied_on_the_short_way_too(g):
    client = browser(g.staff)
    client.get(path(g))
    assert decode(client.get(path(g), {"district": g.other_district.pk})) == []
    assert len(decode(client.get(path(g), {"district": g.district.pk}))) == 1


def test_a_logged_out_cookie_gets_no_tile(g):
    client = browser(g.staff)
    assert client.get(path(g)).status_code == 200
    cookie = client.cookies["sessionid"].value
    client.logout()
    stolen = Client()
    stolen.cookies["sessionid"] = cookie
    assert stolen.get(path(g)).status_code == 403


def test_a_deactivated_account_gets_no_tile(g):
    client = browser(g.staff)
    assert client.get(path(g)).status_code == 200
    g.staff.is_active = False
    g.staff.save()
    assert client.get(path(g)).status_code == 403


def test_a_new_password_ends_the_other_sessions_at_once(g):
    client = browser(g.staff)
    assert client.get(path(g)).status_code == 200
    g.staff.set_password("a new and long passphrase 2026")
    g.staff.save()
    assert client.get(path(g)).status_code == 403


def test_a_grid_given_to_another_manager_leaves_the_first_ones_map(g):
    client = browser(g.manager)
    assert len(decode(client.get(path(g)))) == 1
    district = District.objects.get(pk=g.district.pk)
    district.manager = g.other_manager
    district.save()
    assert decode(client.get(path(g))) == []
    assert len(decode(browser(g.other_manager).get(path(g)))) == 1


def test_a_grid_moved_to_another_station_leaves_its_staffs_map(g):
    client = browser(g.staff)
    assert len(decode(client.get(path(g)))) == 1
    district = District.objects.get(pk=g.district.pk)
    district.station = g.other_station
    district.save()
    assert decode(client.get(path(g))) == []
    assert len(decode(browser(g.other_staff).get(path(g)))) == 1


def test_a_leader_moved_to_another_county_sees_it_at_once(g):
    client = browser(g.leader)
    assert len(decode(client.get(path(g)))) == 1
    from tests.factories import CountyFactory

    g.leader.county = CountyFactory(code="tianmen", name="天门市")
    g.leader.save()
    assert decode(client.get(path(g))) == []


def test_tiles_are_served_the_whole_way_when_the_reader_cache_is_down(g, monkeypatch):
    client = browser(g.staff)
    first = client.get(path(g))

    def unreachable(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(reader_cache, "_cache", unreachable)
    again = client.get(path(g))
    assert again.status_code == 200 and decode(again) == decode(first)


def test_an_entry_read_before_a_change_never_counts_after_it(g, rf):
    """The generation is read before the rows it guards: an entry read from the rows as
    they were before a change carries the generation before the bump."""
    client = browser(g.staff)
    client.get(path(g))
    request = rf.get(path(g))
    request.COOKIES["sessionid"] = client.cookies["sessionid"].value
    reader, generation, _found = reader_cache.recall(request)
    assert reader.user_id == g.staff.pk and g.district.pk in reader.district_ids
    reader_cache.bump()  # a change committed meanwhile
    with pytest.raises(LookupError):
        reader_cache.recall(request)
    from importlib import import_module

    from django.conf import settings

    request.session = import_module(settings.SESSION_ENGINE).SessionStore(
        client.cookies["sessionid"].value
    )
    reader_cache.remember(request, reader, generation)  # stored late, under the old one
    with pytest.raises(LookupError):
        reader_cache.recall(request)


def test_tiles_cleared_forget_the_readers_too(g):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = browser(g.staff)
    client.get(path(g))
    tilecache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path(g)).status_code == 200
    assert any("accounts_user" in q["sql"] for q in queries.captured_queries)  # the whole way


def test_a_tile_built_from_versions_read_before_a_bump_is_never_served():
    """houhu.lib.tilecache keeps a map tile with the versions read before it was built:
    one stored after a change committed meanwhile (the bump) is not returned."""
    versions, data = tilecache.lookup("households", [1, 2], "entry")
    assert versions is not None and data is None
    tilecache.bump(["households"], [2])  # a change commits while the tile is being built
    tilecache.store("entry", versions, b"built from the rows before the change")
    current, data = tilecache.lookup("households", [1, 2], "entry")
    assert data is None and current[0] == versions[0] and current[1] != versions[1]
    tilecache.store("entry", current, b"built after it")
    assert tilecache.lookup("households", [1, 2], "entry") == (current, b"built after it")
    assert tilecache.lookup("households", [1], "entry")[1] is None  # other grids: other versions
