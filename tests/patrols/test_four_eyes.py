"""Four eyes: whoever recorded a clearing cannot verify it; a verification brings evidence
from the site by the station's rule; "cleared by" is chosen, never defaulted; the history
says it in words."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework.exceptions import ValidationError

from patrols import workflow
from patrols.errors import InvalidInput, NotAllowed
from patrols.history import details
from patrols.models import Report
from tests.factories import UserFactory, point
from tests.patrols.factories import ReportFactory, build_grid, image_file, transition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def g():
    g = build_grid()
    g.colleague = UserFactory(role=g.staff.role, station=g.staff.station)
    return g


def _cleared(g, by) -> Report:
    report = ReportFactory(
        kind="tree", status="confirmed", reporter=g.villager, district=g.district,
        segment=g.segment_east, location=point(1000, 503), distance_m=3.0, in_zone=True,
    )  # fmt: skip
    return transition(
        report=report, action="clear", by=by,
        data={"cleared_by": "crew", "trees_removed": 2}, photos=[image_file()],
    )  # fmt: skip


def test_who_recorded_the_clearing_cannot_verify_it_and_is_told_why(g):
    report = _cleared(g, g.staff)
    assert "verify" not in workflow.allowed_actions(report, g.staff)
    assert workflow.unavailable(report, g.staff) == {"verify": str(workflow.FOUR_EYES)}
    with pytest.raises(NotAllowed, match="another person"):
        transition(report=report, action="verify", by=g.staff, data={"witness": "王建国"})
    assert Report.objects.get(pk=report.pk).status == "cleared"
    # Anyone else who may act in the grid may; the table says so on its row.
    assert "verify" in workflow.allowed_actions(report, g.colleague)
    assert "verify" not in workflow.unavailable(report, g.colleague)
    row = workflow.transition_for(report, "verify")
    assert row.not_by_clearer and row.needs_on_site


def test_a_second_person_counts_only_where_the_station_allows_it(g, settings):
    report = _cleared(g, g.staff)
    settings.PATROLS_VERIFY_EVIDENCE = {
        "default": {"max_distance_m": 50, "second_person_allowed": True},
        g.district.station.code: {"second_person_allowed": False, "max_distance_m": 20},
    }
    with pytest.raises(InvalidInput, match="20 m") as err:
        transition(report=report, action="verify", by=g.colleague, data={"witness": "王建国"})
    assert "second person" not in str(err.value.message)
    # 30 m away: within the default 50 m, not within this station's 20 m.
    at = point(1000, 533)
    with pytest.raises(InvalidInput, match="30 m"):
        transition(
            report=report, action="verify", by=g.colleague, photos=[image_file()],
            data={"lon": at.x, "lat": at.y},
        )  # fmt: skip
    settings.PATROLS_VERIFY_EVIDENCE = {"default": {"second_person_allowed": True}}
    transition(report=report, action="verify", by=g.colleague, data={"witness": "王建国"})
    event = report.events.get(action="verify")
    assert (event.witness_name, event.actor_id) == ("王建国", g.colleague.pk)


def test_cleared_by_has_no_default(g):
    report = ReportFactory(
        kind="behaviour", status="confirmed", district=g.district, location=point(1000, 503)
    )
    with pytest.raises(ValidationError) as err:
        transition(report=report, action="clear", by=g.staff, photos=[image_file()])
    assert "cleared_by" in err.value.detail
    transition(
        report=report, action="clear", by=g.staff, data={"cleared_by": "other"},
        photos=[image_file()],
    )  # fmt: skip
    assert Report.objects.get(pk=report.pk).cleared_by == "other"


def test_the_history_says_it_in_words(g, client):
    report = _cleared(g, g.staff)
    transition(report=report, action="verify", by=g.colleague, data={"witness": "王建国"})
    clear, verify = report.events.get(action="clear"), report.events.get(action="verify")
    assert details(clear, g.staff) == ["Cleared by: Station crew", "Trees removed: 2"]
    assert details(verify, g.staff) == ["Second person present: 王建国"]
    client.force_login(g.manager)
    events = client.get(
        f"/api/patrols/reports/{report.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).json()["events"]
    words = [d for e in events for d in e["details"]]
    assert any("清理方" in w and "供电所班组" in w for w in words)
    assert any("在场第二人" in w and "王建国" in w for w in words)
