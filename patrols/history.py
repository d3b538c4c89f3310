"""A report event's particulars in words, for the history on every page: "Cleared by:
Station crew", never {"cleared_by": "crew"}. Names follow houhu.accounts.scopes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from houhu.accounts import scopes

from .models import Report, ReportEvent

if TYPE_CHECKING:
    from houhu.accounts.models import User


def details(event: ReportEvent, reader: User | None) -> list[str]:
    data = event.data or {}
    out: list[str] = []
    if data.get("cleared_by"):
        who = data["cleared_by"]
        label = Report.ClearedBy(who).label if who in Report.ClearedBy.values else who
        out.append(_("Cleared by: %(who)s") % {"who": label})
    if data.get("trees_removed") is not None:
        out.append(_("Trees removed: %(n)s") % {"n": data["trees_removed"]})
    if data.get("merge_into"):
        out.append(_("Duplicate of report #%(id)s") % {"id": data["merge_into"]})
    if event.evidence_distance_m is not None:
        out.append(
            _("Evidence photo taken %(m)s m from the hazard")
            % {"m": f"{event.evidence_distance_m:.0f}"}
        )
    if event.witness_name:
        # A second person may be any villager: shown as the reader may see households.
        name = scopes.shown_name(reader, scopes.Whose.HOUSEHOLDS, event.witness_name)
        if name:
            out.append(_("Second person present: %(name)s") % {"name": name})
    return out
