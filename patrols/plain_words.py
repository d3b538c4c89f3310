"""The words a villager reads on the report form: everyday names for what they found,
each with a picture (static SVG), beside the ledger's own names (Report.Kind, Behaviour)
that staff, statistics and exports keep. "树障" or "九个不见了" is how the station talks;
an elderly villager says "a tree touching the wires"."""

from __future__ import annotations

from dataclasses import dataclass

from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from .models import Report

EVERYDAY_KIND = {
    Report.Kind.TREE: _("A tree or branch near the wires"),
    Report.Kind.CONSTRUCTION: _("Digging, building or a crane near a line"),
    Report.Kind.BEHAVIOUR: _("Someone using power unsafely"),
    Report.Kind.DAMAGE: _("A broken pole, wire or transformer"),
    Report.Kind.OTHER: _("Something else dangerous"),
    Report.Kind.NOTHING_FOUND: _("I walked the line: all fine"),
}

EVERYDAY_BEHAVIOUR = {
    Report.Behaviour.UNAUTHORISED_WIRING: _("Wires pulled without permission"),
    Report.Behaviour.CLOTHES_ON_LINES: _("Clothes hung on power wires"),
    Report.Behaviour.BUILDING_UNDER_LINES: _("A house built under the wires"),
    Report.Behaviour.FISHING_UNDER_LINES: _("Fishing under the wires"),
    Report.Behaviour.LIVE_CABLE_LAYING: _("Laying a cable with the power on"),
    Report.Behaviour.WET_HANDS: _("Touching switches with wet hands"),
    Report.Behaviour.CATTLE_ON_STAY_WIRE: _("A cow tied to a pole's stay wire"),
    Report.Behaviour.FUSE_REPLACED_BY_WIRE: _("Copper or iron wire instead of a fuse"),
    Report.Behaviour.APPLIANCES_MOVED_CARELESSLY: _("Moving a plugged-in machine"),
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str  # the everyday name, shown large
    ledger_label: str  # the ledger's name, shown small (what staff will call it)
    icon: str | None = None


def kind_choices() -> list[Choice]:
    return [
        Choice(
            kind.value, EVERYDAY_KIND[kind], kind.label, static(f"patrols/kinds/{kind.value}.svg")
        )
        for kind in Report.Kind
    ]


def behaviour_choices() -> list[Choice]:
    return [Choice(b.value, EVERYDAY_BEHAVIOUR[b], b.label) for b in Report.Behaviour]
