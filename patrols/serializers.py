"""Shapes of the patrols API, and the one boundary of its writes: ReportSubmitSerializer and
ActionSerializer validate a request once (limits read from the model fields) and type it
for the service (`Submission`, `Step`). Every rule is in services/workflow/selectors."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from houhu.accounts import scopes
from houhu.lib import limits
from houhu.lib.dates import TOO_FAR_AHEAD, InLedger
from houhu.lib.serializers import DirectColumnReads, FieldsBuiltOnce

from . import figures, history, selectors, workflow
from .errors import InvalidInput
from .models import Notification, Report, ReportEvent, ReportPhoto, ReportSighting
from .services import CLEARED_BY_MISSING, Step, Submission
from .snapping import make_point


def _name(user) -> str:
    return (user.display_name or user.username) if user is not None else ""


def _shown_name(serializer: serializers.Serializer, person) -> str | None:
    """A person's name as the reader may see it (scopes.PERSONAL_DATA): a county leader
    does not see which villager wrote a report."""
    request = serializer.context.get("request")
    reader = getattr(request, "user", None)
    return scopes.shown_name(reader, scopes.whose_account(reader, person), _name(person))


@extend_schema_field(OpenApiTypes.STR)
class LabelField(serializers.ReadOnlyField):
    """The translated label of a choice value. A `source="get_x_display"` field makes DRF
    inspect the method's signature on every row (a third of a 100-row list's time)."""

    def __init__(self, choices, **kwargs):
        self.labels = dict(choices.choices)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return str(self.labels.get(value, "")) if value else ""


def _photos_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FileField(), required=False, write_only=True, **kwargs
    )


class PhotosMixin:
    """At most PATROLS_MAX_PHOTOS photos (the setting, read per request, not at import)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        n = settings.PATROLS_MAX_PHOTOS
        self.fields["photos"].max_length = n
        self.fields["photos"].validators.append(
            MaxLengthValidator(n, message=_("At most %(n)d photos per report.") % {"n": n})
        )


# The kind-specific fields of a report: the others are left empty whatever the form sent.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    Report.Kind.TREE: ("tree_count", "tree_distance_m"),
    Report.Kind.CONSTRUCTION: ("construction_kind", "construction_stopped"),
    Report.Kind.BEHAVIOUR: ("behaviour",),
    Report.Kind.DAMAGE: ("damage_kind",),
    Report.Kind.OTHER: (),
    Report.Kind.NOTHING_FOUND: (),
}
# The kind's choice that must be made (the others have defaults).
KIND_REQUIRED = {
    Report.Kind.CONSTRUCTION: "construction_kind",
    Report.Kind.BEHAVIOUR: "behaviour",
    Report.Kind.DAMAGE: "damage_kind",
}


def _limited(field: str, kind: type[serializers.Field], **kwargs) -> serializers.Field:
    """A numeric field whose bounds are the model field's validators (one definition)."""
    low, high = limits.bounds(Report, field)
    return kind(required=False, allow_null=True, min_value=low, max_value=high, **kwargs)


class ReportSubmitSerializer(FieldsBuiltOnce, PhotosMixin, serializers.Serializer):
    """What the phone sends (multipart with `photos` files, or JSON without photos), and
    the no-JavaScript form of the page: the ONE place a submission is validated. It
    becomes a typed `Submission` for services.report_submit, which parses nothing."""

    client_id = serializers.UUIDField(help_text="Generated on the phone; unique forever.")
    kind = serializers.ChoiceField(Report.Kind.choices)
    lon = serializers.FloatField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)
    accuracy_m = _limited("accuracy_m", serializers.FloatField)
    location_source = serializers.ChoiceField(
        Report.LocationSource.choices, required=False, allow_blank=True
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.max_length(Report, "note")
    )
    tree_count = _limited("tree_count", serializers.IntegerField)
    tree_distance_m = _limited("tree_distance_m", serializers.FloatField)
    construction_kind = serializers.ChoiceField(
        Report.ConstructionKind.choices, required=False, allow_blank=True
    )
    construction_stopped = serializers.BooleanField(required=False, allow_null=True)
    behaviour = serializers.ChoiceField(Report.Behaviour.choices, required=False, allow_blank=True)
    damage_kind = serializers.ChoiceField(
        Report.DamageKind.choices, required=False, allow_blank=True
    )
    submitted_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When it was written, by the phone's clock.",
    )
    sent_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="The phone's clock when it sent this request. With it, a phone whose clock "
        "is wrong (reset to 2000, hours off) still dates its report right: submitted_at is "
        "moved by the difference between the server's clock and this one.",
    )
    photos = _photos_field(help_text="JPEG/PNG/WebP files (multipart), at most PATROLS_MAX_PHOTOS.")

    def validate(self, attrs: dict) -> dict:
        # Refusals in the domain's shape ({"detail", "<field>"}), as the service gave them.
        kind = attrs["kind"]
        if kind in KIND_REQUIRED and not attrs.get(KIND_REQUIRED[kind]):
            raise InvalidInput(_("Choose one."), field=KIND_REQUIRED[kind])
        attrs["clock_offset"] = _clock_offset(attrs.get("sent_at"))
        _check_written_at(attrs.get("submitted_at"), attrs["clock_offset"])
        lon, lat = attrs.get("lon"), attrs.get("lat")
        attrs["location"] = None
        if (lon, lat) != (None, None):
            point = make_point(lon, lat)
            # Stored to 7 decimals (~1 cm): what the replay hash and the snapping both see.
            attrs["location"] = Point(round(point.x, 7), round(point.y, 7), srid=4326)
        return attrs

    def submission(self, photos=()) -> Submission:
        """The typed submission: the kind's fields only, "how many trees" defaulting to one
        (one obstacle is at least one tree), "stopped" to no on a construction report."""
        data = self.validated_data
        own = set(KIND_FIELDS[data["kind"]])
        values: dict = {
            name: data.get(name) if name in own else None
            for name in ("tree_count", "tree_distance_m", "construction_stopped")
        }
        if data["kind"] == Report.Kind.TREE:
            values["tree_count"] = values["tree_count"] or 1
        if data["kind"] == Report.Kind.CONSTRUCTION:
            values["construction_stopped"] = bool(values["construction_stopped"])
        for name in ("construction_kind", "behaviour", "damage_kind"):
            values[name] = (data.get(name) or "") if name in own else ""
        return Submission(
            client_id=data["client_id"],
            kind=data["kind"],
            location=data["location"],
            accuracy_m=data.get("accuracy_m"),
            location_source=data.get("location_source") or "",
            note=(data.get("note") or "").strip(),
            submitted_at=data.get("submitted_at"),
            clock_offset=data["clock_offset"],
            photos=tuple(photos),
            **values,
        )


def _clock_offset(sent_at: dt.datetime | None) -> dt.timedelta:
    """The server's clock minus the phone's, measured as the request arrives (a few seconds
    of transit are within what a report's time means). Zero when the phone did not say."""
    return timezone.now() - sent_at if sent_at is not None else dt.timedelta(0)


def _check_written_at(written: dt.datetime | None, offset: dt.timedelta) -> None:
    """The report's time, by the server's clock, must lie in the ledger's years and not
    ahead (houhu.lib.dates.InLedger): refused naming `submitted_at`, nothing stored."""
    if written is None:
        return
    try:
        corrected = written + offset
    except OverflowError:
        raise serializers.ValidationError({"submitted_at": [TOO_FAR_AHEAD]}) from None
    try:
        InLedger()(corrected)
    except DjangoValidationError as error:
        raise serializers.ValidationError({"submitted_at": error.messages}) from None


def _optional_choice(choices) -> serializers.ChoiceField:
    """A kind-specific choice, empty ("") on reports of other kinds. Declared: DRF builds
    read-only model fields without `allow_blank`, so the schema's enum lacked the "" that
    most reports carry."""
    return serializers.ChoiceField(choices.choices, allow_blank=True, read_only=True)


class ReportSerializer(FieldsBuiltOnce, DirectColumnReads, serializers.ModelSerializer):
    """A report in lists."""

    construction_kind = _optional_choice(Report.ConstructionKind)
    behaviour = _optional_choice(Report.Behaviour)
    damage_kind = _optional_choice(Report.DamageKind)
    cleared_by = _optional_choice(Report.ClearedBy)

    kind_label = LabelField(Report.Kind, source="kind")
    status_label = LabelField(Report.Status, source="status")
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    district_name = serializers.CharField(source="district.name", read_only=True)
    segment_code = serializers.CharField(
        source="segment.code", read_only=True, default=None, allow_null=True
    )
    reporter_name = serializers.SerializerMethodField()
    behaviour_label = LabelField(Report.Behaviour, source="behaviour")
    construction_kind_label = LabelField(Report.ConstructionKind, source="construction_kind")
    damage_kind_label = LabelField(Report.DamageKind, source="damage_kind")

    class Meta:
        model = Report
        fields = [
            "id", "client_id", "kind", "kind_label", "status", "status_label",
            "lon", "lat", "accuracy_m", "location_source",
            "district", "district_name", "transformer_area", "village",
            "segment", "segment_code", "distance_m", "in_zone",
            "tree_count", "tree_distance_m", "construction_kind", "construction_kind_label",
            "construction_stopped", "behaviour", "behaviour_label", "damage_kind",
            "damage_kind_label", "trees_removed", "cleared_by", "note",
            "submitted_at", "received_at", "status_changed_at", "merged_into", "reporter_name",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_lon(self, obj: Report) -> float:
        return round(obj.location.x, 7)

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_lat(self, obj: Report) -> float:
        return round(obj.location.y, 7)

    def get_reporter_name(self, obj: Report) -> str | None:
        return _shown_name(self, obj.reporter)


class PhotoSerializer(serializers.ModelSerializer):
    stage_label = LabelField(ReportPhoto.Stage, source="stage")
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportPhoto
        fields = ["id", "stage", "stage_label", "url", "thumbnail_url", "width", "height", "event"]

    # URLs of the permission-checked views (patrols/files.py): they name no file.
    def get_url(self, obj: ReportPhoto) -> str:
        return reverse("file-report-photo", args=[obj.pk])

    def get_thumbnail_url(self, obj: ReportPhoto) -> str:
        return reverse("file-report-photo-thumb", args=[obj.pk])


class EventSerializer(FieldsBuiltOnce, DirectColumnReads, serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    actor_role = serializers.CharField(source="actor.get_role_display", read_only=True)
    action_label = LabelField(ReportEvent.Action, source="action")
    to_status_label = LabelField(Report.Status, source="to_status")
    details = serializers.SerializerMethodField(
        help_text="The event's particulars in words (cleared by, evidence), translated."
    )

    class Meta:
        model = ReportEvent
        fields = [
            "id", "at", "actor", "actor_name", "actor_role", "action", "action_label",
            "from_status", "to_status", "to_status_label", "note", "data", "details",
        ]  # fmt: skip

    def get_actor_name(self, obj: ReportEvent) -> str | None:
        return _shown_name(self, obj.actor)

    def get_details(self, obj: ReportEvent) -> list[str]:
        request = self.context.get("request")
        return history.details(obj, getattr(request, "user", None))


class SegmentBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    line_name = serializers.CharField(source="line.name")
    voltage_kv = serializers.IntegerField(source="line.voltage_kv")
    zone_m = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_zone_m(self, obj) -> float:
        return obj.line.protection_zone()["zone_m"]


class ResponsibleSerializer(serializers.Serializer):
    scope = serializers.CharField()
    user_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    phone = serializers.CharField(allow_blank=True, allow_null=True)


class MergeCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    distance_m = serializers.FloatField()


class ReportDetailSerializer(ReportSerializer):
    """A report with its photos, history, responsible people and what the reader may do."""

    segment = serializers.SerializerMethodField()
    district_manager = serializers.SerializerMethodField()
    transformer_area_name = serializers.CharField(
        source="transformer_area.name", read_only=True, default=None, allow_null=True
    )
    village_name = serializers.CharField(
        source="village.name", read_only=True, default=None, allow_null=True
    )
    photos = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    responsibles = serializers.SerializerMethodField()
    merge_candidates = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    unavailable_actions = serializers.SerializerMethodField(
        help_text="{action: why it is not offered to the reader}, from the workflow."
    )
    sighting_count = serializers.IntegerField(
        read_only=True,
        default=0,
        help_text="Villagers who saw this hazard too and added theirs to it (not reports).",
    )

    class Meta(ReportSerializer.Meta):
        fields = [
            *ReportSerializer.Meta.fields,
            "district_manager", "transformer_area_name", "village_name",
            "photos", "events", "responsibles", "merge_candidates", "allowed_actions",
            "unavailable_actions", "sighting_count",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(SegmentBriefSerializer(allow_null=True))
    def get_segment(self, obj: Report):
        return SegmentBriefSerializer(obj.segment).data if obj.segment_id else None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_district_manager(self, obj: Report) -> dict | None:
        manager = obj.district.manager
        if manager is None:
            return None
        # The grid manager's posted phone is for everyone who reads the report.
        reader = self.context["request"].user
        phone = obj.district.manager_phone or manager.phone
        return {
            "name": scopes.shown_name(reader, scopes.Whose.GRID_MANAGER, _name(manager)),
            "phone": scopes.shown_phone(reader, scopes.Whose.GRID_MANAGER, phone),
        }

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, obj: Report):
        # Photos may show people and houses: scopes.PERSONAL_DATA says who sees them.
        if not scopes.sees(self.context["request"].user, scopes.Whose.PHOTOS):
            return []
        return PhotoSerializer(obj.photos.all(), many=True).data

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, obj: Report):
        return EventSerializer(selectors.report_events(obj), many=True, context=self.context).data

    @extend_schema_field(ResponsibleSerializer(many=True))
    def get_responsibles(self, obj: Report):
        return selectors.report_contacts(obj, self.context["request"].user)

    @extend_schema_field(MergeCandidateSerializer(many=True))
    def get_merge_candidates(self, obj: Report):
        return selectors.merge_candidates(obj, self.context["request"].user)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, obj: Report) -> list[str]:
        return self._options(obj)[0]

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_unavailable_actions(self, obj: Report) -> dict[str, str]:
        return self._options(obj)[1]

    def _options(self, obj: Report) -> tuple[list[str], dict[str, str]]:
        # Both fields from one pass of the workflow (its queries are paid once).
        cache = self.__dict__.setdefault("_workflow_options", {})
        if obj.pk not in cache:
            cache[obj.pk] = workflow.options(obj, self.context["request"].user)
        return cache[obj.pk]


class ActionSerializer(FieldsBuiltOnce, PhotosMixin, serializers.Serializer):
    """A workflow step from the workspace: the ONE place it is validated; it becomes a
    typed `Step` for services.report_transition."""

    action = serializers.ChoiceField(workflow.ACTIONS)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.max_length(ReportEvent, "note")
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=limits.max_length(ReportEvent, "note"),
        help_text="For reject (required).",
    )
    trees_removed = _limited("trees_removed", serializers.IntegerField)
    cleared_by = serializers.ChoiceField(
        Report.ClearedBy.choices,
        required=False,
        allow_blank=True,
        help_text="For clear (required, no default): self, crew or other.",
    )
    merge_into = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    witness = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=limits.max_length(ReportEvent, "witness_name"),
        help_text="For verify: a second person present (where the station allows it).",
    )
    lon = serializers.FloatField(
        required=False, allow_null=True, help_text="For verify: the phone's position."
    )
    lat = serializers.FloatField(required=False, allow_null=True)
    photos = _photos_field()

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs.get("action") == "clear" and not attrs.get("cleared_by"):
            raise serializers.ValidationError({"cleared_by": CLEARED_BY_MISSING})
        lon, lat = attrs.get("lon"), attrs.get("lat")
        attrs["position"] = make_point(lon, lat) if (lon, lat) != (None, None) else None
        return attrs

    def step(self, photos=()) -> Step:
        data = self.validated_data
        return Step(
            action=data["action"],
            note=data.get("reason") or data.get("note") or "",
            cleared_by=data.get("cleared_by") or "",
            trees_removed=data.get("trees_removed"),
            merge_into=data.get("merge_into"),
            photos=tuple(photos),
            witness=data.get("witness") or "",
            position=data.get("position"),
        )


class NotificationSerializer(FieldsBuiltOnce, DirectColumnReads, serializers.ModelSerializer):
    text = serializers.SerializerMethodField(help_text="The message in the reader's language.")
    report_status = serializers.CharField(source="report.status", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "report", "report_status", "verb", "message", "text", "created", "read_at"]
        read_only_fields = fields

    def get_text(self, obj: Notification) -> str:
        from .notifications import message_for

        return message_for(
            obj.verb, obj.report, obj.event, to_reporter=obj.recipient_id == obj.report.reporter_id
        )


class WorkQueueItemSerializer(serializers.Serializer):
    """One item of the work queue (selectors.work_queue): shape only; the clock and the
    order are the selector's."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.SerializerMethodField()
    status = serializers.CharField()
    status_label = serializers.SerializerMethodField()
    district_name = serializers.CharField()
    village_name = serializers.CharField(allow_null=True)
    in_zone = serializers.BooleanField()
    urgent = serializers.BooleanField()
    received_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(help_text="When the service target runs out.")
    overdue = serializers.BooleanField()
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()

    def get_kind_label(self, obj) -> str:
        return str(obj.get_kind_display())

    def get_status_label(self, obj) -> str:
        return str(obj.get_status_display())

    def get_lon(self, obj) -> float:
        return round(obj.location.x, 6)

    def get_lat(self, obj) -> float:
        return round(obj.location.y, 6)


def _count_row_fields() -> dict[str, serializers.Field]:
    """The fields of a row of /api/patrols/counts/: one per figure of patrols.figures."""
    fields: dict[str, serializers.Field] = {
        "id": serializers.IntegerField(allow_null=True),
        "name": serializers.CharField(allow_null=True),
        "as_of": serializers.DateTimeField(
            help_text="The instant the stocks are taken at: the period's end, or now."
        ),
    }
    for f in figures.FLOWS:
        fields[f.key] = serializers.IntegerField(help_text=str(f.doc))
    fields["behaviours"] = serializers.DictField(child=serializers.IntegerField())
    for s in figures.STOCKS:
        fields[s.key] = serializers.IntegerField(help_text=str(s.doc))
    fields[figures.PATROLLED] = serializers.IntegerField(help_text=str(figures.PATROLLED_DOC))
    for key in figures.duration_keys():
        fields[key] = serializers.FloatField(allow_null=True)
    return fields


CountRowSerializer = type("CountRowSerializer", (serializers.Serializer,), _count_row_fields())


# --- "The same hazard is already reported nearby" -------------------------------------


class _PlaceSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()

    def validate(self, attrs: dict) -> dict:
        point = make_point(attrs["lon"], attrs["lat"])
        attrs["location"] = Point(round(point.x, 7), round(point.y, 7), srid=4326)
        return attrs


class NearbyQuerySerializer(_PlaceSerializer):
    # Every kind that reports something wrong ("nothing found" has nothing to repeat).
    kind = serializers.ChoiceField(
        [c for c in Report.Kind.choices if c[0] != Report.Kind.NOTHING_FOUND]
    )


class NearbyReportSerializer(serializers.Serializer):
    """Kind, distance, age and status only: nothing of who reported it, nor what they
    wrote or photographed (selectors.open_reports_near)."""

    id = serializers.IntegerField(source="pk", help_text="The report to add a sighting to.")
    kind = serializers.CharField()
    kind_label = LabelField(Report.Kind, source="kind")
    status = serializers.CharField()
    status_label = LabelField(Report.Status, source="status")
    distance_m = serializers.SerializerMethodField()
    age_hours = serializers.SerializerMethodField()

    def get_distance_m(self, obj: Report) -> float:
        return round(obj.d.m, 1)

    def get_age_hours(self, obj: Report) -> int:
        return int((self.context["now"] - obj.received_at).total_seconds() // 3600)


class SightingSerializer(_PlaceSerializer):
    client_id = serializers.UUIDField(help_text="Generated on the phone; unique forever.")
    report = serializers.IntegerField(min_value=1)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.max_length(ReportSighting, "note")
    )
