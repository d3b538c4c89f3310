"""The work queue (/api/patrols/queue/): the reports of the user's area that are on a
service clock, most pressing first, with the same "overdue" as the counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patrols import figures
from patrols.models import Report
from patrols.selectors import report_counts
from tests.patrols.factories import ReportFactory, add_history, build_grid

pytestmark = pytest.mark.django_db
QUEUE = "/api/patrols/queue/"
H = dt.timedelta(hours=1)


@pytest.fixture
def g():
    return build_grid()


def _report(g, *, hours_ago: float, status="submitted", kind="tree", in_zone=False, **kw):
    at = timezone.now() - hours_ago * H
    confirmed = at if status in ("confirmed", "reopened") else None
    r = ReportFactory(
        district=g.district, kind=kind, status=status, in_zone=in_zone, received_at=at,
        status_changed_at=at, confirmed_at=confirmed, reporter=g.villager,
        segment=g.segment_west if in_zone else None, **kw,
    )  # fmt: skip
    return add_history(r)


def test_queue_sorts_overdue_then_urgent_then_time_left_and_agrees_with_the_counts(
    client, g, settings
):
    settings.PATROLS_SLA_HOURS = {"tree": 168, "behaviour": 72, "damage": 48, "other": 168}
    late_confirm = _report(g, hours_ago=30)  # submitted 30 h ago: 6 h past the 24 h target
    late_damage = _report(g, hours_ago=50, status="confirmed", kind="damage")  # 2 h past 48 h
    urgent_new = _report(g, hours_ago=1, in_zone=True)  # 23 h left, but in the zone
    fresh = _report(g, hours_ago=2)  # 22 h left
    tree_confirmed = _report(g, hours_ago=50, status="confirmed")  # 118 h left (tree: 168 h)
    _report(g, hours_ago=400, status="verified")  # closed: not on the queue
    ReportFactory(district=g.other_district, received_at=timezone.now() - 99 * H)  # not mine

    client.force_login(g.manager)
    body = client.get(QUEUE).json()
    ids = [r["id"] for r in body["results"]]
    # Overdue first, the longest overdue first; then urgent; then the least time left.
    assert ids == [late_confirm.pk, late_damage.pk, urgent_new.pk, fresh.pk, tree_confirmed.pk]
    assert [r["overdue"] for r in body["results"]] == [True, True, False, False, False]
    assert body["count"] == 5
    due = dt.datetime.fromisoformat(body["results"][1]["due_at"])
    assert abs((due - (late_damage.status_changed_at + 48 * H)).total_seconds()) < 1

    # The counts of the workspace and the dashboard call the same two overdue.
    (row,) = report_counts(user=g.manager)
    assert (row["overdue_confirm"], row["overdue_clear"]) == (1, 1)


def test_queue_is_paged_and_one_query_per_page(client, g):
    for h in range(7):
        _report(g, hours_ago=h + 1)
    client.force_login(g.staff)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(QUEUE, {"limit": 3, "offset": 3}).json()
    assert page["count"] == 7 and len(page["results"]) == 3
    selects = [q for q in ctx.captured_queries if "patrols_report" in q["sql"]]
    assert len(selects) == 2  # the count and the page, nothing per item


def test_villagers_and_other_stations_see_nothing_of_the_grid(client, g):
    _report(g, hours_ago=1)
    client.force_login(g.other_staff)
    assert client.get(QUEUE).json()["count"] == 0
    client.force_login(g.villager)
    assert client.get(QUEUE).json()["count"] == 0


def test_a_setting_without_every_hazard_kind_is_refused(settings):
    settings.PATROLS_SLA_HOURS = {"tree": 72}
    with pytest.raises(ImproperlyConfigured, match="PATROLS_SLA_HOURS"):
        figures.clear_hours()


def test_the_queue_holds_only_statuses_on_a_clock():
    assert set(figures.ON_THE_CLOCK) <= set(Report.OPEN_STATUSES)
    assert Report.Status.ESCALATED not in figures.ON_THE_CLOCK
