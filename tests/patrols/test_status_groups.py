"""The status groups ("open", "closed", "awaiting a decision / a clearing") are defined once,
on the Report model, and every other reader derives them: the workspace's JavaScript gets
them through its json_script config and never names a status itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from houhu.accounts.models import User
from patrols import workflow
from patrols.models import Report
from tests.factories import DistrictFactory, UserFactory

S = Report.Status
ROOT = Path(__file__).resolve().parents[2]


def test_open_and_closed_split_every_status_once():
    assert set(Report.OPEN_STATUSES) | set(Report.CLOSED_STATUSES) == set(S)
    assert not set(Report.OPEN_STATUSES) & set(Report.CLOSED_STATUSES)
    # Waiting for a decision or a clearing is always open (so overdue is a part of open).
    assert set(Report.AWAITING_DECISION) | set(Report.AWAITING_CLEARING) <= set(
        Report.OPEN_STATUSES
    )


def test_a_cleared_report_is_closed_on_the_server():
    assert S.CLEARED in Report.CLOSED_STATUSES
    assert not Report(status=S.CLEARED).is_open


@pytest.mark.django_db
def test_workspace_page_hands_the_status_groups_to_its_script(client):
    district = DistrictFactory()
    client.force_login(UserFactory(role=User.Role.STAFF, station=district.station))
    html = client.get(reverse("patrols:workspace")).content.decode()
    config = json.loads(
        re.search(r'<script id="patrols-config" type="application/json">(.*?)</script>', html)[1]
    )
    assert config["openStatuses"] == list(Report.OPEN_STATUSES)
    assert S.CLEARED not in config["openStatuses"]
    assert config["triageStatuses"] == list(workflow.TRIAGE_STATUSES)
    assert config["toVerifyStatuses"] == [S.CLEARED]


def test_no_javascript_file_restates_a_status():
    """A status value written in a script is a second definition of a group: a cleared
    report was 'open' in the workspace while the server said closed."""
    names = "|".join(S.values)
    literal = re.compile(rf"""["']({names})["']|\b({names})\s*:\s*1\b""")
    scripts = [
        p
        for app in ("patrols", "pledges", "stats", "houhu")
        for p in (ROOT / app).rglob("*.js")
        if "vendor" not in p.parts
    ]
    assert scripts
    offenders = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in scripts
        for m in literal.finditer(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
