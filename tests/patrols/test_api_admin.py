"""The admin shows reports read-mostly: no add, no delete, events never editable."""

from __future__ import annotations

import pytest

from houhu.accounts.models import User
from patrols.models import ReportEvent
from tests.factories import UserFactory
from tests.patrols.factories import ReportEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_report_admin_pages_render_without_add_or_delete(admin_client):
    event = ReportEventFactory()
    report = event.report
    assert admin_client.get("/admin/patrols/report/").status_code == 200
    page = admin_client.get(f"/admin/patrols/report/{report.pk}/change/")
    assert page.status_code == 200
    assert admin_client.get("/admin/patrols/report/add/").status_code == 403
    assert admin_client.get(f"/admin/patrols/report/{report.pk}/delete/").status_code == 403


def test_event_admin_is_read_only(admin_client):
    event = ReportEventFactory()
    url = f"/admin/patrols/reportevent/{event.pk}/change/"
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {"note": "rewritten"})
    assert ReportEvent.objects.get(pk=event.pk).note == ""
