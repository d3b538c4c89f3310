"""The report state machine: ONE table says which action moves which kind of report from
which status to which, who may take it and what it requires. `services.report_transition`
enforces it; `allowed_actions` shows it to the UI; the tests walk it row by row.

Who is who (houhu.accounts.scopes decides): REPORTER is the author of this very report;
MANAGER is anyone who may act in the report's district (grid managers in their grids,
station staff and admins across their station; county leaders and villagers never).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from houhu.accounts import scopes
from houhu.accounts.scopes import Can, can_act_in_district

from .errors import NotAllowed, TransitionNotAllowed
from .models import Report, ReportEvent

if TYPE_CHECKING:
    from houhu.accounts.models import User

S = Report.Status
A = ReportEvent.Action
HAZARD = frozenset(Report.HAZARD_KINDS)
CONSTRUCTION = frozenset({Report.Kind.CONSTRUCTION})

# Who may take an action: "manager" = grid manager, staff or admin acting in the report's
# district; "reporter" = the villager (or anyone) who wrote this very report.
MANAGER = "manager"
REPORTER = "reporter"


@dataclass(frozen=True)
class Transition:
    action: str
    kinds: frozenset[str]
    sources: frozenset[str]
    target: str
    who: frozenset[str]
    needs_note: bool = False  # a reason / safety measures / what was found
    needs_photo: bool = False  # an after-photo of the clearing
    needs_evidence: bool = False  # a photo or a note
    needs_clearing: bool = False  # cleared_by (+ trees_removed on a tree report)
    needs_merge_target: bool = False


def _t(action, kinds, sources, target, who=(MANAGER,), **needs) -> Transition:
    return Transition(action, kinds, frozenset(sources), target, frozenset(who), **needs)


TRANSITIONS: tuple[Transition, ...] = (
    # Hazards (tree obstacle, unsafe behaviour, facility damage, other).
    _t(A.CONFIRM, HAZARD, {S.SUBMITTED, S.REOPENED}, S.CONFIRMED),
    _t(A.REJECT, HAZARD, {S.SUBMITTED, S.REOPENED}, S.REJECTED, needs_note=True),
    _t(
        A.CLEAR, HAZARD, {S.CONFIRMED, S.REOPENED}, S.CLEARED,
        needs_photo=True, needs_clearing=True,
    ),
    _t(A.VERIFY, HAZARD, {S.CLEARED}, S.VERIFIED, needs_evidence=True),
    _t(A.REOPEN, HAZARD, {S.CLEARED, S.VERIFIED}, S.REOPENED, needs_note=True),
    # "It is not fixed": the reporter themselves, or staff on their behalf.
    _t(A.NOT_FIXED, HAZARD, {S.CLEARED, S.VERIFIED}, S.REOPENED, who=(REPORTER, MANAGER)),
    _t(A.MERGE, HAZARD, {S.SUBMITTED, S.REOPENED}, S.REJECTED, needs_merge_target=True),
    # Construction next to a line.
    _t(A.STOP, CONSTRUCTION, {S.SUBMITTED, S.ESCALATED}, S.STOPPED),
    _t(A.PERMIT, CONSTRUCTION, {S.SUBMITTED, S.ESCALATED}, S.PERMITTED, needs_note=True),
    _t(A.ESCALATE, CONSTRUCTION, {S.SUBMITTED}, S.ESCALATED, needs_note=True),
    _t(A.VERIFY, CONSTRUCTION, {S.STOPPED, S.PERMITTED, S.ESCALATED}, S.VERIFIED),
    _t(A.REJECT, CONSTRUCTION, {S.SUBMITTED}, S.REJECTED, needs_note=True),
    _t(A.MERGE, CONSTRUCTION, {S.SUBMITTED}, S.REJECTED, needs_merge_target=True),
)  # fmt: skip
# "Patrolled, nothing found" reports are born `recorded` and have no transitions.

ACTIONS = tuple(dict.fromkeys(t.action for t in TRANSITIONS))
# Reports waiting for triage (confirm or reject): the workspace marks them as new.
TRIAGE_STATUSES = tuple(
    s for s in S if any(t.action == A.CONFIRM and s in t.sources for t in TRANSITIONS)
)
# Hazards cleared and waiting for a verification visit: the workspace dashes them.
HAZARD_TO_VERIFY_STATUSES = tuple(
    s
    for s in S
    if any(t.action == A.VERIFY and t.kinds == HAZARD and s in t.sources for t in TRANSITIONS)
)


def transition_for(report: Report, action: str) -> Transition:
    """The row for this action on this report as it is now, or a translated refusal."""
    if action not in ACTIONS:
        raise TransitionNotAllowed(_("Unknown action."), field="action")
    for row in TRANSITIONS:
        if row.action == action and report.kind in row.kinds and report.status in row.sources:
            return row
    raise TransitionNotAllowed(
        _("“%(action)s” is not possible on a report that is %(status)s.")
        % {"action": A(action).label, "status": report.get_status_display()}
    )


def _roles_of(user: User, report: Report) -> set[str]:
    roles: set[str] = set()
    if not user.is_authenticated:
        return roles
    if report.reporter_id == user.pk:
        roles.add(REPORTER)
    if can_act_in_district(user, report.district_id):
        roles.add(MANAGER)
    return roles


def check(report: Report, action: str, user: User) -> Transition:
    """The transition the user may take, or TransitionNotAllowed / NotAllowed."""
    row = transition_for(report, action)
    roles = _roles_of(user, report)
    if not roles & row.who:
        if scopes.is_read_only(user):
            raise NotAllowed(_("County leaders read the ledger; they do not change reports."))
        if REPORTER in roles or scopes.can(user, Can.VILLAGER_PAGES):
            raise NotAllowed(_("Only station staff and the grid manager may do this."))
        raise NotAllowed()
    return row


def allowed_actions(report: Report, user: User) -> list[str]:
    """Actions this user may take on this report now, in table order (for the UI)."""
    roles = _roles_of(user, report)
    return [
        row.action
        for row in TRANSITIONS
        if report.kind in row.kinds and report.status in row.sources and roles & row.who
    ]
