"""How many SQL statements each write endpoint of the patrols API runs, pinned: a change
that adds a query to a villager's submission or a staff action shows up here first.

Today's numbers; issue 12 asks for at most 6 per submission once the write path is reworked
(patrols/services.py). Savepoints are counted: PostgreSQL runs them too.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.patrols.factories import build_grid, submit, tree_data

pytestmark = pytest.mark.django_db

REPORTS = "/api/patrols/reports/"


def _count(fn) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


@pytest.fixture
def g():
    return build_grid()


def _submit(client, g, client_id):
    return client.post(
        REPORTS, {"client_id": str(client_id), **tree_data()}, content_type="application/json"
    )


def test_query_counts_of_the_write_endpoints(client, g):
    client.force_login(g.villager)
    # Warm: a process has looked up the SRID's definition once (GeoDjango caches it).
    assert _submit(client, g, uuid.uuid4()).status_code == 201
    client_id = uuid.uuid4()
    n_submit, response = _count(lambda: _submit(client, g, client_id))
    assert response.status_code == 201, response.content
    n_replay, response = _count(lambda: _submit(client, g, client_id))
    assert response.status_code == 200

    client.force_login(g.staff)
    report = response.json()["id"]
    n_confirm, response = _count(
        lambda: client.post(
            f"{REPORTS}{report}/actions/", {"action": "confirm"}, content_type="application/json"
        )
    )
    assert response.status_code == 200, response.content

    client.force_login(g.manager)
    note = client.get("/api/patrols/notifications/").json()["results"][0]["id"]
    n_read, response = _count(lambda: client.post(f"/api/patrols/notifications/{note}/read/"))
    assert response.status_code == 200
    print(f"submit {n_submit}, replay {n_replay}, confirm {n_confirm}, read {n_read}")
    assert (n_submit, n_replay, n_confirm, n_read) == PINNED


# (submission, its replay, a staff confirm, marking a notification read), through the API:
# session, user, throttles and the answer's serialisation included.
PINNED = (23, 9, 25, 7)


def test_service_submission_statement_count(g):
    submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())  # warm
    n, _ = _count(lambda: submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data()))
    print(f"service submit {n}")
    assert n == SERVICE_PINNED


# report_submit alone: the replay check, snapping (segment, zone, village), the inserts of
# the report, its event, who is told (the grid manager and the station's staff), their
# notifications, whether the grid's WeCom group is told, the statistics job, and the
# savepoint around them.
SERVICE_PINNED = 11
