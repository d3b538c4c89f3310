"""Shapes of the compact's API. No rules here: input serializers only parse and type the
request; the services decide."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from houhu.accounts.personal import PersonalFields
from houhu.accounts.scopes import whose_household
from houhu.grid.models import Household
from houhu.lib.dates import InLedger
from houhu.lib.images import ProcessedImage
from houhu.lib.limits import max_length

from ..errors import BadInput
from . import scans
from .models import Clause, Compact, CompactVersion, HouseholdVisit, Pledge, PledgeEvent
from .signing import Signing


class ClauseSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Clause
        fields = ["id", "number", "kind", "kind_display", "text"]
        read_only_fields = ["id"]


class VersionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CompactVersion
        fields = ["id", "number", "status", "effective_from", "published_at"]


class CompactVersionSerializer(serializers.ModelSerializer):
    compact_title = serializers.CharField(source="compact.title", read_only=True)
    motto = serializers.CharField(source="compact.motto", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    clauses = ClauseSerializer(many=True, read_only=True)

    class Meta:
        model = CompactVersion
        fields = [
            "id",
            "compact",
            "compact_title",
            "motto",
            "number",
            "status",
            "status_display",
            "effective_from",
            "valid_until",
            "renew_after_days",
            "change_note",
            "published_at",
            "superseded_at",
            "clauses",
        ]


class CompactSerializer(serializers.ModelSerializer):
    versions = VersionBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Compact
        fields = ["id", "station", "title", "scope", "district", "village", "motto", "versions"]


class ClauseInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Clause.Kind.choices)
    text = serializers.CharField(max_length=max_length(Clause, "text"))


class CompactCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=max_length(Compact, "title"))
    scope = serializers.ChoiceField(choices=Compact.Scope.choices, default="station")
    station = serializers.IntegerField(required=False, help_text=_("Default: your station."))
    district = serializers.IntegerField(required=False, allow_null=True)
    village = serializers.IntegerField(required=False, allow_null=True)
    motto = serializers.CharField(max_length=max_length(Compact, "motto"), required=False)
    effective_from = serializers.DateField(
        required=False, allow_null=True, validators=[InLedger(planned=True)]
    )
    renew_after_days = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    clauses = ClauseInputSerializer(many=True, required=False)


class PublishSerializer(serializers.Serializer):
    effective_from = serializers.DateField(
        required=False, allow_null=True, validators=[InLedger(planned=True)]
    )


class NewVersionSerializer(serializers.Serializer):
    change_note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=max_length(CompactVersion, "change_note"),
    )


class ClauseAddSerializer(ClauseInputSerializer):
    number = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class PledgeSerializer(PersonalFields, serializers.ModelSerializer):
    """A pledge; the names on it are the household's (null for a reader who may not see
    them: scopes.PERSONAL_DATA)."""

    name_fields = ("head_name", "signatory_name", "witness_name")
    phone_fields = ("scan",)
    customer_number = serializers.CharField(source="household.customer_number", read_only=True)
    head_name = serializers.CharField(source="household.head_name", read_only=True, allow_null=True)
    signatory_name = serializers.CharField(read_only=True, allow_null=True)
    witness_name = serializers.CharField(read_only=True, allow_null=True)
    scan = serializers.SerializerMethodField(
        help_text=_("The signed sheet's photo (a permission-checked URL), if any.")
    )
    village = serializers.IntegerField(source="household.village_id", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    compact = serializers.IntegerField(source="version.compact_id", read_only=True)

    class Meta:
        model = Pledge
        fields = [
            "id",
            "household",
            "customer_number",
            "head_name",
            "village",
            "compact",
            "version",
            "version_number",
            "status",
            "method",
            "signed_at",
            "signatory_name",
            "witness_name",
            "scan",
            "signed_by",
            "recorded_by",
            "previous",
            "ended_at",
        ]
        read_only_fields = fields

    def whose(self, obj: Pledge, user):
        return whose_household(user, obj.household_id)

    def get_scan(self, obj: Pledge) -> str | None:
        # The view of pledges/compact/files.py: the URL names the pledge, not the file.
        return reverse("file-pledge-scan", args=[obj.pk]) if obj.scan else None


class _SigningFields(serializers.Serializer):
    """The fields of a signing, limits from the model (`Pledge`). Turned into ONE typed
    `Signing` for the service; the scan goes through the image intake here, once."""

    confirm = serializers.BooleanField(required=False, default=False)
    signatory = serializers.CharField(
        max_length=max_length(Pledge, "signatory_name"), required=False, allow_blank=True
    )
    witness = serializers.CharField(
        max_length=max_length(Pledge, "witness_name"), required=False, allow_blank=True
    )
    signed_on = serializers.DateField(required=False, validators=[InLedger()])
    scan = serializers.FileField(required=False, allow_null=True)

    def validate_scan(self, upload) -> ProcessedImage | None:
        return scans.process(upload) if upload is not None else None

    def signing(self, *, household: Household, version: CompactVersion, method: str) -> Signing:
        data = self.validated_data
        if method == Pledge.Method.PAPER and data.get("signed_on") is None:
            raise BadInput(_("Give the date written on the signed sheet."), field="signed_on")
        return Signing(
            household=household,
            method=method,
            version=version,
            confirm=data["confirm"],
            signatory=data.get("signatory", ""),
            witness=data.get("witness", ""),
            signed_on=data.get("signed_on"),
            scan=data.get("scan"),
        )


class PledgeCreateSerializer(_SigningFields):
    """Online (a villager, `confirm`: true) or paper (staff: signatory, witness, date, scan)."""

    household = serializers.IntegerField()
    version = serializers.IntegerField()
    method = serializers.ChoiceField(choices=Pledge.Method.choices, default="online")


class HouseholdVisitSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="household.customer_number", read_only=True)
    visited_by_name = serializers.CharField(source="visited_by.__str__", read_only=True)

    class Meta:
        model = HouseholdVisit
        fields = [
            "id",
            "household",
            "customer_number",
            "visited_on",
            "visited_by",
            "visited_by_name",
            "outcome",
            "note",
            "recorded_at",
        ]
        read_only_fields = fields


class VisitCreateSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=HouseholdVisit.Outcome.choices)
    visited_on = serializers.DateField(required=False, validators=[InLedger()])
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=max_length(HouseholdVisit, "note"),
    )


class NoteSerializer(serializers.Serializer):
    # The note of a withdrawal or a front-door confirmation: both event notes share a bound.
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=max_length(PledgeEvent, "note")
    )


class RenewSerializer(_SigningFields):
    version = serializers.IntegerField()


class ListQuerySerializer(serializers.Serializer):
    village = serializers.IntegerField(required=False, min_value=1)
    district = serializers.IntegerField(required=False, min_value=1)


class UnsignedHouseholdSerializer(PersonalFields, serializers.Serializer):
    """Null name and phone for a reader who may not see them (scopes.PERSONAL_DATA)."""

    name_fields = ("head_name",)
    phone_fields = ("phone",)
    id = serializers.IntegerField()
    customer_number = serializers.CharField()
    head_name = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    village = serializers.CharField(source="village.name")
    transformer_area = serializers.CharField(source="transformer_area.name")

    def whose(self, obj: Household, user):
        return whose_household(user, obj.pk)


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=False)


class RejectedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    customer_number = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class ImportReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    total_rows = serializers.IntegerField()
    imported = serializers.IntegerField()
    renewed = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    file_errors = serializers.ListField(child=serializers.CharField())
    rejected = RejectedRowSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
