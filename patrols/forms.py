"""The report form's fields, labels and limits, rendered on the phone and the workspace.

The browser posts the form to the API (so that an offline report can be queued and sent
later through the same endpoint); the API's serializer and services do the validation.
This form only gives the page its translated labels, choices and input hints.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Report


class ReportForm(forms.Form):
    tree_count = forms.IntegerField(
        label=_("Number of trees"),
        min_value=1,
        max_value=999,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "1"}),
    )
    tree_distance_m = forms.DecimalField(
        label=_("Estimated distance to the conductor (m)"),
        min_value=0,
        max_value=100,
        decimal_places=1,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
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
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("What did you see? (optional)")}),
    )
