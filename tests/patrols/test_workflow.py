"""The state machine, row by row: every action from every status of each kind of report,
and for each allowed step every role. The expected table is written out by hand here (not
read from patrols.workflow) so that a change to the table must change this test too."""

from __future__ import annotations

import pytest

from patrols.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from patrols.models import Report, ReportEvent, ReportPhoto
from patrols.workflow import allowed_actions
from tests.factories import point
from tests.patrols.factories import ReportFactory, build_grid, image_file, transition

pytestmark = pytest.mark.django_db

ACTIONS = [
    "confirm", "reject", "clear", "verify", "reopen", "not_fixed",
    "stop", "permit", "escalate", "merge",
]  # fmt: skip
HAZARD = {
    "submitted": {"confirm": "confirmed", "reject": "rejected", "merge": "rejected"},
    "confirmed": {"clear": "cleared"},
    "rejected": {},
    "cleared": {"verify": "verified", "reopen": "reopened", "not_fixed": "reopened"},
    "verified": {"reopen": "reopened", "not_fixed": "reopened"},
    "reopened": {
        "confirm": "confirmed", "clear": "cleared", "reject": "rejected", "merge": "rejected",
    },
}  # fmt: skip
CONSTRUCTION = {
    "submitted": {
        "stop": "stopped", "permit": "permitted", "escalate": "escalated",
        "reject": "rejected", "merge": "rejected",
    },
    "stopped": {"verify": "verified"},
    "permitted": {"verify": "verified"},
    "escalated": {"stop": "stopped", "permit": "permitted", "verify": "verified"},
    "verified": {},
    "rejected": {},
}  # fmt: skip
TABLE = {"tree": HAZARD, "behaviour": HAZARD, "construction": CONSTRUCTION}
CASES = [
    (kind, status, action)
    for kind in ("tree", "construction")
    for status in TABLE[kind]
    for action in ACTIONS
]
ALLOWED = [(k, s, a) for (k, s, a) in CASES if a in TABLE[k][s]]


@pytest.fixture
def g():
    return build_grid()


def _report(g, kind: str, status: str) -> Report:
    return ReportFactory(
        kind=kind, status=status, reporter=g.villager, district=g.district,
        segment=g.segment_east, location=point(1000, 503), distance_m=3.0, in_zone=True,
    )  # fmt: skip


def _act(g, report: Report, action: str, by) -> Report:
    target = _report(g, report.kind, "submitted")
    return transition(
        report=report, action=action, by=by, note="现场核实",
        data={
            "cleared_by": "self", "trees_removed": 2, "merge_into": target.pk,
            "witness": "村民代表王建国",
        },
        photos=[image_file()],
    )  # fmt: skip


@pytest.mark.parametrize(("kind", "status", "action"), CASES)
def test_staff_may_take_exactly_the_steps_in_the_table(g, kind, status, action):
    report = _report(g, kind, status)
    expected = TABLE[kind][status].get(action)
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            _act(g, report, action, g.staff)
        report.refresh_from_db()
        assert report.status == status
        assert not ReportEvent.objects.filter(report=report).exists()
        assert not ReportPhoto.objects.filter(report=report).exists()
        assert action not in allowed_actions(report, g.staff)
    else:
        assert action in allowed_actions(report, g.staff)
        _act(g, report, action, g.staff)
        report.refresh_from_db()
        assert report.status == expected
        event = ReportEvent.objects.get(report=report)
        assert (event.actor, event.action, event.from_status, event.to_status) == (
            g.staff, action, status, expected,
        )  # fmt: skip
        assert event.note == "现场核实"


ROLES = ["reporter", "manager", "staff", "other_manager", "other_staff", "leader"]


def _may(role: str, action: str) -> bool:
    if role in ("manager", "staff"):
        return True
    return role == "reporter" and action == "not_fixed"


def _user(g, role: str):
    return {
        "reporter": g.villager, "manager": g.manager, "staff": g.staff,
        "other_manager": g.other_manager, "other_staff": g.other_staff, "leader": g.leader,
    }[role]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("kind", "status", "action"), ALLOWED)
def test_each_allowed_step_only_by_allowed_roles_in_their_grid(g, kind, status, action, role):
    report = _report(g, kind, status)
    user = _user(g, role)
    if _may(role, action):
        _act(g, report, action, user)
        report.refresh_from_db()
        assert report.status == TABLE[kind][status][action]
        assert ReportEvent.objects.filter(report=report, actor=user).count() == 1
    else:
        with pytest.raises(NotAllowed):
            _act(g, report, action, user)
        report.refresh_from_db()
        assert report.status == status
        assert not ReportEvent.objects.filter(report=report).exists()
        assert action not in allowed_actions(report, user)


def test_villager_cannot_confirm_own_report(g):
    report = _report(g, "tree", "submitted")
    with pytest.raises(NotAllowed):
        transition(report=report, action="confirm", by=g.villager)
    assert Report.objects.get(pk=report.pk).status == "submitted"


def test_reject_needs_a_reason(g):
    report = _report(g, "tree", "submitted")
    with pytest.raises(InvalidInput) as err:
        transition(report=report, action="reject", by=g.manager, note=" ")
    assert err.value.field == "note"
    assert Report.objects.get(pk=report.pk).status == "submitted"
    assert not ReportEvent.objects.exists()


def test_clearing_needs_an_after_photo_and_trees_removed(g):
    report = _report(g, "tree", "confirmed")
    with pytest.raises(InvalidInput):
        transition(
            report=report,
            action="clear",
            by=g.staff,
            data={"cleared_by": "crew", "trees_removed": 3},
        )
    with pytest.raises(InvalidInput) as err:
        transition(
            report=report, action="clear", by=g.staff, data={"cleared_by": "crew"},
            photos=[image_file()],
        )  # fmt: skip
    assert err.value.field == "trees_removed"
    assert ReportPhoto.objects.count() == 0
    transition(
        report=report, action="clear", by=g.staff,
        data={"cleared_by": "crew", "trees_removed": 3}, photos=[image_file()],
    )  # fmt: skip
    report.refresh_from_db()
    assert (report.status, report.cleared_by, report.trees_removed) == ("cleared", "crew", 3)
    assert report.cleared_at is not None
    assert report.photos.get().stage == ReportPhoto.Stage.CLEARING


def test_verify_needs_evidence_from_the_site(g):
    report = _report(g, "tree", "cleared")
    # A note, or a photo without a position, is no evidence from the site.
    with pytest.raises(InvalidInput) as err:
        transition(report=report, action="verify", by=g.staff, note="已复查")
    assert err.value.field == "photos"
    with pytest.raises(InvalidInput):
        transition(report=report, action="verify", by=g.staff, photos=[image_file()])
    # Taken 200 m away: refused, and the message says how far.
    far = point(1000, 703)
    with pytest.raises(InvalidInput, match="200"):
        transition(
            report=report, action="verify", by=g.staff, photos=[image_file()],
            data={"lon": far.x, "lat": far.y},
        )  # fmt: skip
    near = point(1010, 503)
    transition(
        report=report, action="verify", by=g.staff, photos=[image_file()],
        data={"lon": near.x, "lat": near.y},
    )  # fmt: skip
    report.refresh_from_db()
    assert report.status == "verified" and report.verified_at is not None
    event = report.events.get(action="verify")
    assert event.evidence_distance_m == pytest.approx(10, abs=1)
    assert event.witness_name == ""


def test_not_fixed_by_the_reporter_reopens_and_clears_the_verification(g):
    report = _report(g, "tree", "verified")
    Report.objects.filter(pk=report.pk).update(verified_at=report.received_at)
    transition(report=report, action="not_fixed", by=g.villager, note="树又长回来了")
    report.refresh_from_db()
    assert (report.status, report.verified_at) == ("reopened", None)


def test_another_villager_cannot_say_not_fixed(g):
    report = _report(g, "tree", "cleared")
    with pytest.raises(NotAllowed):
        transition(report=report, action="not_fixed", by=g.other_villager)
    assert Report.objects.get(pk=report.pk).status == "cleared"


def test_merge_marks_the_duplicate_rejected_with_merged_into(g):
    original = _report(g, "tree", "confirmed")
    duplicate = _report(g, "tree", "submitted")
    transition(report=duplicate, action="merge", by=g.manager, data={"merge_into": original.pk})
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == ("rejected", original.pk)


def test_merge_into_a_report_of_another_kind_is_refused(g):
    original = _report(g, "construction", "submitted")
    duplicate = _report(g, "tree", "submitted")
    with pytest.raises(InvalidInput):
        transition(report=duplicate, action="merge", by=g.manager, data={"merge_into": original.pk})
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == ("submitted", None)


def test_confirmation_time_is_the_first_one(g):
    report = _report(g, "tree", "submitted")
    transition(report=report, action="confirm", by=g.staff)
    first = Report.objects.get(pk=report.pk).confirmed_at
    Report.objects.filter(pk=report.pk).update(status="reopened")
    transition(report=report, action="confirm", by=g.staff)
    assert Report.objects.get(pk=report.pk).confirmed_at == first


def test_stop_marks_the_construction_stopped(g):
    report = _report(g, "construction", "submitted")
    transition(report=report, action="stop", by=g.manager, note="已劝停")
    assert Report.objects.get(pk=report.pk).construction_stopped is True


@pytest.mark.django_db(transaction=True)
def test_two_staff_confirming_at_once_make_one_transition():
    import threading

    from django.db import connection

    g = build_grid()
    report = _report(g, "tree", "submitted")
    barrier = threading.Barrier(2)
    outcomes = []

    def confirm(user):
        try:
            barrier.wait(timeout=10)
            transition(report=Report.objects.get(pk=report.pk), action="confirm", by=user)
            outcomes.append("ok")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(u,)) for u in (g.staff, g.manager)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert ReportEvent.objects.filter(report=report, action="confirm").count() == 1
    assert Report.objects.get(pk=report.pk).status == "confirmed"
