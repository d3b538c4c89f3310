"""Integration with the pledges app: the people responsible for the report's segment
(我包段) appear in the report detail, resolved by pledges.responsibility.selectors."""

from __future__ import annotations

import uuid

import pytest

from patrols.selectors import responsibles
from pledges.responsibility.services import assign_segments
from tests.patrols.factories import build_grid, submit, tree_data

pytestmark = pytest.mark.django_db


def test_segment_responsible_is_resolved_for_the_report(client):
    g = build_grid()
    assign_segments(segments=[g.segment_east], user=g.villager, by=g.manager)
    report, _ = submit(reporter=g.staff, client_id=uuid.uuid4(), data=tree_data(dx=1500, dy=502))
    rows = responsibles(report)
    assert [(r["scope"], r["user_id"]) for r in rows] == [("segment", g.villager.pk)]
    assert rows[0]["phone"] == g.villager.phone or rows[0]["phone"] == g.household.phone

    client.force_login(g.manager)
    body = client.get(f"/api/patrols/reports/{report.pk}/").json()
    assert [r["user_id"] for r in body["responsibles"]] == [g.villager.pk]


def test_report_on_an_unassigned_segment_has_no_responsibles():
    g = build_grid()
    assign_segments(segments=[g.segment_east], user=g.villager, by=g.manager)
    report, _ = submit(reporter=g.staff, client_id=uuid.uuid4(), data=tree_data(dx=300, dy=502))
    assert report.segment == g.segment_west
    assert responsibles(report) == []
