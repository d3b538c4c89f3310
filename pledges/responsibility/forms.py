"""The assignment map's form: shape and parsing only; the services decide."""

from __future__ import annotations

import json

from django import forms
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Polygon
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from houhu.lib.limits import max_length

from .models import Assignment


class AssignmentForm(forms.Form):
    """Segment or patch assignment from the map. The person is a staff account or, for a
    volunteer line guard or village cadre without one, a name and a phone."""

    segments = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"id": "id_segments"})
    )
    area = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"id": "id_area"}))
    user = forms.TypedChoiceField(
        label=_("Person (account)"), coerce=int, required=False, choices=()
    )
    person_name = forms.CharField(
        label=_("Or name"), max_length=max_length(Assignment, "person_name"), required=False
    )
    person_phone = forms.CharField(
        label=_("Phone"), max_length=max_length(Assignment, "person_phone"), required=False
    )
    valid_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    is_primary = forms.BooleanField(label=_("Primary responsible"), required=False, initial=True)

    def __init__(self, *args, user_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "—"), *user_choices]

    def clean_segments(self) -> list[int]:
        raw = self.cleaned_data["segments"]
        try:
            return sorted({int(x) for x in raw.split(",") if x.strip()})
        except ValueError as exc:
            raise ValidationError(_("The segment selection is not valid.")) from exc

    def clean_area(self) -> Polygon | None:
        raw = self.cleaned_data["area"].strip()
        if not raw:
            return None
        try:
            geom = GEOSGeometry(json.dumps(json.loads(raw)), srid=4326)
        except (ValueError, GEOSException, TypeError) as exc:
            raise ValidationError(_("The drawn patch is not a valid polygon.")) from exc
        if geom.geom_type != "Polygon" or not geom.valid:
            raise ValidationError(_("The drawn patch is not a valid polygon."))
        lon_ok = all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in geom.exterior_ring.coords)
        if not lon_ok:
            raise ValidationError(_("The drawn patch has a coordinate outside the earth."))
        return geom

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("segments") and data.get("area") is None:
            raise ValidationError(_("Select at least one segment or draw a patch."))
        if data.get("segments") and data.get("area") is not None:
            raise ValidationError(_("Assign either segments or a patch, not both at once."))
        if not data.get("user") and not data.get("person_name"):
            raise ValidationError(_("Choose an account or give the person's name."))
        if data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            raise ValidationError(_("The end date is before the start date."))
        return data
