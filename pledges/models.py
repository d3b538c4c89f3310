"""The models of the `pledges` app, as Django loads them (`<app>.models`). They are defined
by domain in pledges/compact/models.py (the compact, versions, clauses, pledges, visits)
and pledges/responsibility/models.py (assignments); one app, one set of tables and
migrations (which refer to `pledges.models.scan_upload_to` and `pledges.models.DateRange`).
"""

from __future__ import annotations

from .compact.models import (
    Clause,
    Compact,
    CompactVersion,
    CompactVersionEvent,
    HouseholdVisit,
    Pledge,
    PledgeEvent,
    scan_upload_to,
)
from .responsibility.models import Assignment, AssignmentEvent, DateRange

__all__ = [
    "Assignment",
    "AssignmentEvent",
    "Clause",
    "Compact",
    "CompactVersion",
    "CompactVersionEvent",
    "DateRange",
    "HouseholdVisit",
    "Pledge",
    "PledgeEvent",
    "scan_upload_to",
]
