"""County leaders only read: one row of houhu.accounts.scopes.ROLE_CAPABILITIES, and every
write of every app (API and pages) refuses them with 403 and writes nothing. Before issue
11 this rule was restated in about ten places."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from houhu.accounts.models import User
from patrols.models import Report, ReportEvent
from pledges.models import Assignment, Compact, HouseholdVisit, Pledge
from tests.patrols.factories import ReportFactory, build_grid, tree_data
from tests.pledges.factories import World

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    models = (Report, ReportEvent, Pledge, Assignment, HouseholdVisit, Compact, User)
    return {m.__name__: m.objects.count() for m in models}


def test_a_leader_reads_but_every_patrols_write_is_refused(client):
    g = build_grid()
    report = ReportFactory(reporter=g.villager, district=g.district, segment=g.segment_east)
    client.force_login(g.leader)
    assert client.get(f"/api/patrols/reports/{report.pk}/").status_code == 200
    before = _counts()
    writes = [
        client.post("/api/patrols/reports/", {"client_id": str(uuid.uuid4()), **tree_data()}),
        client.post(f"/api/patrols/reports/{report.pk}/actions/", {"action": "confirm"}),
        client.post(reverse("patrols:report_new"), {"client_id": str(uuid.uuid4()), **tree_data()}),
    ]
    assert [w.status_code for w in writes] == [403, 403, 403]
    assert _counts() == before


def test_a_leader_reads_but_every_pledges_and_accounts_write_is_refused(client):
    w = World()
    client.force_login(w.leader)
    assert client.get("/api/pledges/coverage/").status_code == 200
    assert client.get(reverse("pledges:staff_home")).status_code == 200
    before = _counts()
    paper = {"signed_on": "2025-03-01", "signatory": "户主", "witness": "台区经理"}
    writes = [
        client.post(
            "/api/pledges/pledges/",
            {"household": w.h1.pk, "version": w.version.pk, "method": "paper", **paper},
        ),
        client.post(
            "/api/pledges/assignments/",
            {"scope": "segment", "segments": [], "person_name": "某人"},
            content_type="application/json",
        ),
        client.post("/api/pledges/visits/", {"household": w.h1.pk, "outcome": "explained"}),
        client.post("/api/pledges/compacts/", {"title": "新约"}),
        client.post(reverse("pledges:paper_signing") + f"?household={w.h1.pk}", paper),
        client.post(reverse("pledges:compact_create"), {"title": "新约", "scope": "station"}),
        client.post(reverse("pledges:visit_new") + f"?household={w.h1.pk}", {"outcome": "x"}),
        client.post(reverse("accounts:villager_create", args=[w.h1.pk]), {"phone": "139"}),
    ]
    assert [r.status_code for r in writes] == [403] * len(writes)
    assert _counts() == before
