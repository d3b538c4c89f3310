"""The report form's fields, labels and limits, rendered on the phone and the workspace.

The browser posts the form to the API (so that an offline report can be queued and sent
later through the same endpoint); the API's serializer does the validation, once. This
form only gives the page its translated labels, choices and input hints, its limits read
from the model's fields like the serializer's (houhu.lib.limits).
"""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from houhu.lib import limits

from .models import Report


def _between(field: str, text) -> dict:
    low, high = limits.bounds(Report, field)
    return {"min_value": low, "max_value": high, "help_text": format_lazy(text, min=low, max=high)}


class ReportForm(forms.Form):
    tree_count = forms.IntegerField(
        label=_("Number of trees"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "1"}),
        **_between("tree_count", _("From {min} to {max}")),
    )
    tree_distance_m = forms.DecimalField(
        label=_("Estimated distance to the conductor (m)"),
        decimal_places=1,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
        **_between("tree_distance_m", _("From {min} to {max} m")),
    )
    construction_kind = forms.ChoiceField(
        label=_("Kind of construction"),
        choices=Report.ConstructionKind.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    construction_stopped = forms.BooleanField(label=_("I stopped the construction"), required=False)
    behaviour = forms.ChoiceField(
        label=_("Which unsafe behaviour"),
        choices=Report.Behaviour.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    damage_kind = forms.ChoiceField(
        label=_("What is damaged"),
        choices=Report.DamageKind.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=limits.max_length(Report, "note"),
        help_text=format_lazy(_("At most {n} characters."), n=limits.max_length(Report, "note")),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("What did you see? (optional)")}),
    )
