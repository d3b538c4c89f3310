"""The report state machine: ONE table says which action moves which kind of report from
which status to which, who may take it and what it requires. `services.report_transition`
enforces it; `allowed_actions` shows it to the UI; the tests walk it row by row.

Who is who (houhu.accounts.scopes decides): REPORTER is the author of this very report;
MANAGER is anyone who may act in the report's district (grid managers in their grids,
station staff and admins across their station; county leaders and villagers never).

Four eyes: a row marked `not_by_clearer` is refused to the person who recorded the
clearing, and `needs_on_site` asks for evidence from the site (a photo taken near the
hazard, or a second person present), by the station's rule in
settings.PATROLS_VERIFY_EVIDENCE (`evidence_rule`). `unavailable` says, for the UI, why an
action of the table is not offered to this user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
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
    needs_clearing: bool = False  # cleared_by, chosen (+ trees_removed on a tree report)
    needs_merge_target: bool = False
    needs_on_site: bool = False  # a photo taken near the hazard, or a second person present
    not_by_clearer: bool = False  # four eyes: not the person who recorded the clearing


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
    _t(
        A.VERIFY, HAZARD, {S.CLEARED}, S.VERIFIED,
        needs_on_site=True, not_by_clearer=True,
    ),
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


# Why an action is not offered (workspace) or refused (API): one string per reason.
READERS_ONLY_READ = _("County leaders read the ledger; they do not change reports.")
STAFF_ONLY = _("Only station staff and the grid manager may do this.")
FOUR_EYES = _("You recorded the clearing of this hazard: another person must verify it on site.")


@dataclass(frozen=True)
class EvidenceRule:
    """What a verification must bring from the site, per station (settings)."""

    max_distance_m: float
    second_person_allowed: bool


def evidence_rule(station_code: str | None) -> EvidenceRule:
    table = settings.PATROLS_VERIFY_EVIDENCE
    row = {**table.get("default", {}), **table.get(station_code or "", {})}
    return EvidenceRule(
        max_distance_m=float(row.get("max_distance_m", 50.0)),
        second_person_allowed=bool(row.get("second_person_allowed", True)),
    )


def clearer_id(report: Report) -> int | None:
    """Who recorded the report's latest clearing (None: never cleared through the app)."""
    return (
        ReportEvent.objects.filter(report_id=report.pk, action=A.CLEAR)
        .order_by("-at", "-pk")
        .values_list("actor_id", flat=True)
        .first()
    )


def _refusal(row: Transition, user: User, roles: set[str], clearer: int | None):
    """Why this user may not take this row now (None: they may)."""
    if not roles & row.who:
        if scopes.is_read_only(user):
            return READERS_ONLY_READ
        if REPORTER in roles or scopes.can(user, Can.VILLAGER_PAGES):
            return STAFF_ONLY
        return NotAllowed.default_message
    if row.not_by_clearer and clearer is not None and clearer == user.pk:
        return FOUR_EYES
    return None


def _rows_now(report: Report) -> list[Transition]:
    return [r for r in TRANSITIONS if report.kind in r.kinds and report.status in r.sources]


def _clearer_if_needed(report: Report, rows: list[Transition]) -> int | None:
    # One query, and only when a row of the report's current status asks who cleared it.
    return clearer_id(report) if any(r.not_by_clearer for r in rows) else None


def check(report: Report, action: str, user: User) -> Transition:
    """The transition the user may take, or TransitionNotAllowed / NotAllowed."""
    row = transition_for(report, action)
    roles = _roles_of(user, report)
    reason = _refusal(row, user, roles, _clearer_if_needed(report, [row]))
    if reason is not None:
        raise NotAllowed(reason)
    return row


def options(report: Report, user: User) -> tuple[list[str], dict[str, str]]:
    """(actions this user may take now in table order, {action: why not} for the table's
    other actions on this report): one pass, so a page asks for both at the cost of one."""
    roles = _roles_of(user, report)
    rows = _rows_now(report)
    clearer = _clearer_if_needed(report, rows)
    allowed: list[str] = []
    refused: dict[str, str] = {}
    for r in rows:
        reason = _refusal(r, user, roles, clearer)
        if reason is None:
            allowed.append(r.action)
        else:
            refused.setdefault(r.action, str(reason))
    return allowed, {a: why for a, why in refused.items() if a not in allowed}


def allowed_actions(report: Report, user: User) -> list[str]:
    """Actions this user may take on this report now, in table order (for the UI)."""
    return options(report, user)[0]


def unavailable(report: Report, user: User) -> dict[str, str]:
    """{action: why not} for the table's actions on this report now that this user may not
    take (the workspace shows the reason instead of a button)."""
    return options(report, user)[1]
