"""Reads of opted-in views from the streaming replica, read-your-own-writes (houhu.lib.db_router).

Run twice: `make test` (no replica: everything must read the primary and no client is
marked) and `HOUHU_TEST_REPLICA=1 make test ARGS=tests/lib/test_db_router.py` (a real
standby made by `scripts/services.sh replica`: the map layer must be read from it, stale
while its replay is paused, and a client that just wrote must read the primary).
"""

from __future__ import annotations

import contextlib
import copy
import json
import time

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from houhu.grid.models import District
from houhu.lib import db_router
from tests.conftest import PASSWORD
from tests.factories import DistrictFactory
from tests.grid.factories import build_world

pytestmark = pytest.mark.django_db(transaction=True)
WITH_REPLICA = settings.TEST_REPLICA is not None


@pytest.fixture
def replica(transactional_db):
    """The `replica` alias on the standby's copy of the test database, for this test.
    (Django cannot create a test database on a standby: see houhu/settings/test.py.)"""
    if not WITH_REPLICA:
        yield None
        return
    cfg = copy.deepcopy(connection.settings_dict)
    cfg.update(HOST=settings.TEST_REPLICA["HOST"], PORT=settings.TEST_REPLICA["PORT"])
    connections.settings[db_router.REPLICA] = cfg
    try:
        connections[db_router.REPLICA].connect()
        yield connections[db_router.REPLICA]
    finally:
        connections[db_router.REPLICA].close()
        del connections[db_router.REPLICA]
        del connections.settings[db_router.REPLICA]


def _caught_up(replica_conn, timeout: float = 30) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_current_wal_lsn()")
        lsn = cur.fetchone()[0]
    deadline = time.monotonic() + timeout
    with replica_conn.cursor() as cur:
        while time.monotonic() < deadline:
            cur.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cur.fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail(f"the replica did not replay up to {lsn} within {timeout} s")


@contextlib.contextmanager
def _replay_paused(replica):
    """The standby (if the suite runs with one) has replayed everything so far and then
    replays nothing more until the block ends: it stands for a replica lagging behind."""
    if replica is not None:
        _caught_up(replica)
        with replica.cursor() as cur:
            cur.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        if replica is not None:
            with replica.cursor() as cur:
                cur.execute("SELECT pg_wal_replay_resume()")


def _properties(response, name: str) -> dict[int, object]:
    """{feature id: its property `name`} of a FeatureCollection answer."""
    assert response.status_code == 200, response.content
    features = json.loads(response.content)["features"]
    return {f["properties"]["id"]: f["properties"][name] for f in features}


def _district_ids(response) -> set[int]:
    return set(_properties(response, "id"))


def _staff_of_a_world():
    """The grid world of tests.grid.factories and a client signed in as its staff member."""
    w = build_world()
    client = Client()
    client.force_login(w.staff)
    return w, client


def _layer_sql(queries) -> list[str]:
    return [q["sql"] for q in queries if "ST_AsGeoJSON" in q["sql"]]


def test_an_opted_in_view_reads_the_replica_and_others_the_primary(replica):
    w, client = _staff_of_a_world()
    if replica is not None:
        _caught_up(replica)
        with replica.cursor() as cur:
            cur.execute("SELECT pg_is_in_recovery()")
            assert cur.fetchone()[0] is True  # a standby, not the primary under a new name
    with CaptureQueriesContext(connection) as on_primary:
        if replica is not None:
            with CaptureQueriesContext(replica) as on_replica:
                ids = _district_ids(client.get("/api/layers/districts/"))
            assert _layer_sql(on_replica.captured_queries)
        else:
            ids = _district_ids(client.get("/api/layers/districts/"))
    assert ids == {w.d1.pk, w.d2.pk}
    # The layer's one statement ran on the replica (if any); the session and the user,
    # who is asking and with which rights, were read from the primary.
    assert bool(_layer_sql(on_primary.captured_queries)) is (replica is None)
    assert any("accounts_user" in q["sql"] for q in on_primary.captured_queries)
    # A view that did not opt in reads the primary.
    with CaptureQueriesContext(connection) as on_primary:
        assert client.get("/api/patrols/reports/").status_code == 200
    assert any("patrols_report" in q["sql"] for q in on_primary.captured_queries)
    assert db_router.read_alias() == "default"  # reset after the request


def test_a_stale_replica_is_read_until_the_reader_writes_then_the_primary(replica):
    w, client = _staff_of_a_world()
    cookie = settings.DATABASE_REPLICA_STICKY_COOKIE
    with _replay_paused(replica):
        new = DistrictFactory(station=w.station)  # committed on the primary
        seen = _district_ids(client.get("/api/layers/districts/"))
        # Paused, the standby has not seen the new grid; without a replica it is there.
        assert (new.pk in seen) is (replica is None)
        assert cookie not in client.cookies

        # A write: a token for scripts (POST, 200). The answer marks this client...
        response = client.post(
            "/api/auth/token/", {"username": w.staff.username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.content
        if replica is None:
            assert cookie not in response.cookies  # nothing to stick to
        else:
            mark = response.cookies[cookie]
            assert mark["max-age"] == settings.DATABASE_REPLICA_STICKY_SECONDS
            assert mark["httponly"]
        # ...so its reads now come from the primary: it sees the grid at once.
        assert new.pk in _district_ids(client.get("/api/layers/districts/"))
        # Another reader, who wrote nothing, still reads the paused standby.
        other = Client()
        other.force_login(w.staff)
        assert (new.pk in _district_ids(other.get("/api/layers/districts/"))) is (replica is None)
    assert District.objects.filter(pk=new.pk).exists()


def test_a_replica_that_does_not_answer_is_skipped_for_the_primary(replica, settings):
    if replica is not None:
        # Point the alias at a closed port: the view must still answer, from the primary.
        replica.close()
        replica.settings_dict["PORT"] = 9  # discard: nothing listens
    w, client = _staff_of_a_world()
    assert _district_ids(client.get("/api/layers/districts/")) == {w.d1.pk, w.d2.pk}


def test_the_router_sends_writes_and_migrations_to_the_primary():
    router = db_router.ReplicaRouter()
    assert router.db_for_write(District) == "default"
    assert router.db_for_read(District) is None  # outside an opted-in view: default
    assert router.allow_migrate("default", "grid") is True
    assert router.allow_migrate("replica", "grid") is False


def test_a_cached_layer_is_built_on_the_primary_where_reads_go_to_the_replica(replica):
    from django.db import transaction

    from houhu.grid.models import Household
    from houhu.lib.signals import ledger_changed

    w, client = _staff_of_a_world()
    household = w.h1
    with _replay_paused(replica):
        # A change announced on the primary, as the admin makes it: the layer's version of
        # the grid is bumped after the commit, which the paused standby has not replayed.
        with transaction.atomic():
            Household.objects.filter(pk=household.pk).update(head_name="新户主")
            ledger_changed.send(sender=Household, district_ids=[w.d1.pk])
        # This reader wrote nothing, so the layers read the replica, but the whole layer,
        # cached under the new version, is built on the primary: never the old name under
        # the new version.
        layer = client.get("/api/layers/households/")
        names = _properties(layer, "head_name")
        assert names[household.pk] == "新户主" and layer.has_header("ETag")
        # A bbox is not cached: it reads the replica, the old name while it is paused.
        p = household.location
        box = client.get(
            "/api/layers/households/",
            {"bbox": f"{p.x - 0.001},{p.y - 0.001},{p.x + 0.001},{p.y + 0.001}"},
        )
        in_box = _properties(box, "head_name")
        assert (in_box[household.pk] == "新户主") is (replica is None)


def test_a_cached_layer_is_keyed_by_the_grids_of_the_primary(replica):
    from houhu.grid import layer_cache
    from houhu.grid.models import Household
    from tests.factories import HouseholdFactory, TransformerAreaFactory

    w, client = _staff_of_a_world()
    with _replay_paused(replica):
        # A new grid of the station with a household, which the paused standby lacks.
        grid = DistrictFactory(station=w.station)
        new = HouseholdFactory(transformer_area=TransformerAreaFactory(district=grid))
        layer = client.get("/api/layers/households/")
        assert new.pk in _properties(layer, "id")
        # The key (the ETag) names the grids the rows came from, the primary's: a key of
        # the replica's grids would hold rows of a grid it does not name.
        assert layer["ETag"] == f'"{layer_cache.key_for(w.staff, "households", None)}"'
        assert Household.objects.filter(pk=new.pk).exists()
