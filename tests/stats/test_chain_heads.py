"""The monthly report and the exports print each station's ledger head, which
verify_ledger --head then accepts (and refuses once the history before it changed)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from openpyxl import load_workbook

from houhu.accounts.models import User
from houhu.ledger.models import Entry
from patrols.models import ReportEvent
from tests.factories import UserFactory
from tests.ledger.helpers import behind_the_apps_back
from tests.patrols.factories import build_grid, submit, tree_data

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def g():
    g = build_grid()
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    # Two events in January 2026 (dated then, appended now): the January head is the later.
    for day in (10, 20):
        ReportEvent.objects.create(
            report=report, actor=g.staff, action="confirm", from_status="submitted",
            to_status="confirmed", at=dt.datetime(2026, 1, day, 9, tzinfo=SHANGHAI),
        )  # fmt: skip
    g.leader = UserFactory(role=User.Role.LEADER, county=g.district.station.county)
    return g


def _january_head(g) -> Entry:
    return (
        Entry.objects.filter(
            station_id=g.district.station_id, at__lt=dt.datetime(2026, 2, 1, tzinfo=SHANGHAI)
        )
        .order_by("-seq")
        .first()
    )


def test_the_monthly_report_prints_the_head_at_the_months_end(client, g):
    client.force_login(g.leader)
    head = _january_head(g)
    response = client.get(
        "/stats/report/", {"level": "station", "id": g.district.station_id, "month": "2026-01"}
    )
    assert response.status_code == 200
    printed = f"{head.hash_hex}@2026-01-20"
    assert printed in response.content.decode()
    out = io.StringIO()
    call_command("verify_ledger", "--head", printed, stdout=out)
    assert "ledger intact" in out.getvalue()
    # An entry before the head is changed behind the app's back: the kept head is refused.
    behind_the_apps_back("UPDATE ledger_entry SET data = '{}' WHERE id = %s", [head.pk])
    with pytest.raises(CommandError, match=f"entry #{head.seq} "):
        call_command("verify_ledger", "--head", printed, stdout=io.StringIO())


def test_exports_carry_the_head_of_each_station(client, g):
    client.force_login(g.leader)
    params = {"level": "district", "id": g.district.pk, "month": "2026-01"}
    raw = client.get("/stats/export/hazards.csv", params).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw)))
    footer = rows[rows.index([]) + 1 :]
    head = _january_head(g)
    assert footer[1][1:] == [g.district.station.name, str(head.seq), f"{head.hash_hex}@2026-01-20"]
    book = load_workbook(io.BytesIO(client.get("/stats/export/hazards.xlsx", params).content))
    sheet = book.worksheets[1]
    assert sheet.cell(row=2, column=4).value == f"{head.hash_hex}@2026-01-20"
    # The month to date: the head now, the report submitted today.
    params["month"] = timezone.localdate().strftime("%Y-%m")
    raw = client.get("/stats/export/hazards.csv", params).content.decode("utf-8-sig")
    now_head = Entry.objects.filter(station_id=g.district.station_id).order_by("-seq").first()
    assert raw.rstrip().endswith(f"{now_head.hash_hex}@{now_head.at.astimezone(SHANGHAI).date()}")
