"""Forms of the compact's pages: shape and parsing only. Every rule (who may sign what,
versions) lives in the services; these forms never touch the database except to offer
the choices the user's scope allows."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from houhu.grid.models import Household
from houhu.lib.dates import InLedger
from houhu.lib.images import ProcessedImage
from houhu.lib.limits import max_length

from ..errors import BadScan
from . import scans
from .models import Clause, Compact, CompactVersion, HouseholdVisit, Pledge
from .signing import Signing


class SignForm(forms.Form):
    """The villager's explicit confirmation: a checkbox that must be ticked. The household
    is never taken from the form: it is the signed-in villager's own."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("I have read the compact and sign it"),
        error_messages={"required": _("Tick the box to confirm that you have read the compact.")},
    )

    def signing(self, *, household: Household, version: CompactVersion) -> Signing:
        return Signing(
            household=household,
            method=Pledge.Method.ONLINE,
            version=version,
            confirm=self.cleaned_data["confirm"],
        )


class CompactCreateForm(forms.Form):
    """A new compact and its first draft version. The scope's target is offered from the
    user's districts only; the service checks the scope again."""

    title = forms.CharField(label=_("Title"), max_length=max_length(Compact, "title"))
    scope = forms.ChoiceField(label=_("Scope"), choices=Compact.Scope.choices)
    district = forms.ModelChoiceField(label=_("Service grid"), queryset=None, required=False)
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, required=False)

    def __init__(self, *args, districts=None, villages=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        self.fields["village"].queryset = villages

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope == Compact.Scope.DISTRICT and not data.get("district"):
            self.add_error("district", _("Choose the service grid the compact covers."))
        if scope == Compact.Scope.VILLAGE and not data.get("village"):
            self.add_error("village", _("Choose the village the compact covers."))
        return data


class DraftEditForm(forms.Form):
    effective_from = forms.DateField(
        label=_("Effective from"),
        required=False,
        validators=[InLedger(planned=True)],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    change_note = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=max_length(CompactVersion, "change_note"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClauseForm(forms.Form):
    """One clause of a draft. Prefixed per clause on the page so each row posts alone."""

    clause = forms.IntegerField(required=False, widget=forms.HiddenInput)
    number = forms.IntegerField(label=_("Insert as No."), min_value=1, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Clause.Kind.choices)
    text = forms.CharField(
        label=_("Text"),
        max_length=max_length(Clause, "text"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PublishForm(forms.Form):
    effective_from = forms.DateField(
        label=_("Effective from"),
        validators=[InLedger(planned=True)],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


class PaperSigningForm(forms.Form):
    signed_on = forms.DateField(
        label=_("Date signed"),
        validators=[InLedger()],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    signatory = forms.CharField(
        label=_("Signatory"), max_length=max_length(Pledge, "signatory_name")
    )
    witness = forms.CharField(label=_("Witness"), max_length=max_length(Pledge, "witness_name"))
    scan = forms.FileField(
        label=_("Photo or scan of the signed sheet"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # From the one setting the intake enforces (read per form, not at import time).
        self.fields["scan"].help_text = _(
            "A photo of the sheet (JPEG, PNG or WebP), at most %(mb)s MB."
        ) % {"mb": scans.max_megabytes()}

    def clean_scan(self) -> ProcessedImage:
        # The one image intake, here next to the field: the service gets the re-encoded
        # copy and does not decode the upload again.
        try:
            return scans.process(self.cleaned_data["scan"])
        except BadScan as exc:
            raise ValidationError(exc.message) from exc

    def signing(self, *, household: Household, version: CompactVersion) -> Signing:
        data = self.cleaned_data
        return Signing(
            household=household,
            method=Pledge.Method.PAPER,
            version=version,
            signatory=data["signatory"],
            witness=data["witness"],
            signed_on=data["signed_on"],
            scan=data["scan"],
        )


class VisitForm(forms.Form):
    visited_on = forms.DateField(
        label=_("Date of the visit"),
        validators=[InLedger()],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=HouseholdVisit.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=max_length(HouseholdVisit, "note"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_('UTF-8 (Excel\'s "CSV UTF-8"), header row as in the template.'),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
