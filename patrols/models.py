"""Patrol reports (巡线记录) from villagers and staff, their photos, the immutable history of
every transition, and in-app notifications.

The rules live elsewhere: `patrols.workflow` (which transition, by whom, in one table),
`patrols.services` (every write), `patrols.selectors` (reads scoped to the user and the
counts). The database still refuses impossible rows on its own: named CheckConstraints on
every choice field, on the kind-specific fields and on which status belongs to which kind.

Decision: a "patrolled, nothing found" report is stored with its own status `recorded`
(not `verified`), so that a count of verified clearings never includes a mere patrol, and
"segments patrolled in the last 30 days" reads every report of any kind.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houhu.grid.geo import geography

# Plain value lists for the constraints: a nested Meta cannot see the enclosing class's
# choices, and the migration must not change when a label is translated.
KINDS = ["tree", "construction", "behaviour", "damage", "other", "nothing_found"]
HAZARD_KINDS = ["tree", "behaviour", "damage", "other"]
_HAZARD_KIND_VALUES = HAZARD_KINDS  # the class below has its own HAZARD_KINDS
STATUSES = [
    "submitted", "confirmed", "rejected", "cleared", "verified", "reopened",
    "stopped", "permitted", "escalated", "recorded",
]  # fmt: skip
HAZARD_STATUSES = ["submitted", "confirmed", "rejected", "cleared", "verified", "reopened"]
CONSTRUCTION_STATUSES = ["submitted", "rejected", "stopped", "permitted", "escalated", "verified"]
CONSTRUCTION_KINDS = ["excavation", "crane", "piling", "building", "other"]
BEHAVIOURS = [
    "unauthorised_wiring", "clothes_on_lines", "building_under_lines", "fishing_under_lines",
    "live_cable_laying", "wet_hands", "cattle_on_stay_wire", "fuse_replaced_by_wire",
    "appliances_moved_carelessly",
]  # fmt: skip
DAMAGE_KINDS = ["pole", "stay_wire", "insulator", "transformer"]
ACTIONS = [
    "submit", "confirm", "reject", "clear", "verify", "reopen", "not_fixed",
    "stop", "permit", "escalate", "merge",
]  # fmt: skip


class Report(models.Model):
    class Kind(models.TextChoices):
        TREE = "tree", _("Tree obstacle")
        CONSTRUCTION = "construction", _("Construction next to a line")
        BEHAVIOUR = "behaviour", _("Unsafe behaviour")
        DAMAGE = "damage", _("Facility damage")
        OTHER = "other", _("Other hazard")
        NOTHING_FOUND = "nothing_found", _("Patrolled, nothing found")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        CLEARED = "cleared", _("Cleared")
        VERIFIED = "verified", _("Verified")
        REOPENED = "reopened", _("Reopened")
        STOPPED = "stopped", _("Construction stopped")
        PERMITTED = "permitted", _("Permitted with safety measures")
        ESCALATED = "escalated", _("Escalated")
        RECORDED = "recorded", _("Patrol recorded")

    class LocationSource(models.TextChoices):
        GPS = "gps", _("Phone GPS")
        MAP = "map", _("Tapped on the map")
        EXIF = "exif", _("Photo location")

    class ConstructionKind(models.TextChoices):
        EXCAVATION = "excavation", _("Excavation")
        CRANE = "crane", _("Crane")
        PILING = "piling", _("Piling")
        BUILDING = "building", _("Building")
        OTHER = "other", _("Other construction")

    class Behaviour(models.TextChoices):
        # The nine unsafe behaviours that are "gone" (九个不见了).
        UNAUTHORISED_WIRING = "unauthorised_wiring", _("Unauthorised wiring")
        CLOTHES_ON_LINES = "clothes_on_lines", _("Drying clothes on lines")
        BUILDING_UNDER_LINES = "building_under_lines", _("Building under lines")
        FISHING_UNDER_LINES = "fishing_under_lines", _("Fishing under lines")
        LIVE_CABLE_LAYING = "live_cable_laying", _("Laying cable while live")
        WET_HANDS = "wet_hands", _("Touching electrics with wet hands")
        CATTLE_ON_STAY_WIRE = "cattle_on_stay_wire", _("Tying cattle to stay wires")
        FUSE_REPLACED_BY_WIRE = "fuse_replaced_by_wire", _("Replacing fuses with wire")
        APPLIANCES_MOVED_CARELESSLY = (
            "appliances_moved_carelessly",
            _("Moving appliances carelessly"),
        )

    class DamageKind(models.TextChoices):
        POLE = "pole", _("Pole")
        STAY_WIRE = "stay_wire", _("Stay wire")
        INSULATOR = "insulator", _("Insulator")
        TRANSFORMER = "transformer", _("Transformer")

    class ClearedBy(models.TextChoices):
        # No default anywhere: staff choose explicitly, or a villager's page would say they
        # cleared what a crew cleared.
        SELF = "self", _("Villagers themselves")
        CREW = "crew", _("Station crew")
        OTHER = "other", _("Someone else")

    # Kinds that go through the hazard workflow (confirm → clear → verify): the plain list
    # the constraints use, as members.
    HAZARD_KINDS = tuple(map(Kind, _HAZARD_KIND_VALUES))

    # The status groups, defined here ONCE. The live counts and the snapshots' SQL
    # (patrols.figures), the serializers, templates and the pages' JavaScript (through
    # their json_script config) all read these; none restates them.
    # Waiting for a first decision: overdue once the confirmation target has passed.
    AWAITING_DECISION = (Status.SUBMITTED,)
    # Confirmed, or reopened ("it is not fixed"), and waiting to be cleared: overdue once
    # the clearing target has passed since it entered that status.
    AWAITING_CLEARING = (Status.CONFIRMED, Status.REOPENED)
    # Waiting for someone (the station, a crew, another authority): "open".
    OPEN_STATUSES = (*AWAITING_DECISION, *AWAITING_CLEARING, Status.ESCALATED)
    # Everything else is closed. A cleared hazard is closed: it waits for a verification
    # visit, but nothing is left to fix unless someone reopens it.
    CLOSED_STATUSES = tuple(sorted(set(Status) - set(OPEN_STATUSES), key=list(Status).index))
    # A clearing that stands: cleared, or cleared and verified (a reopened one does not).
    CLEARING_STANDS = (Status.CLEARED, Status.VERIFIED)

    client_id = models.UUIDField(
        _("client id"),
        unique=True,
        help_text=_("Generated by the phone; a retry with the same id returns the first answer."),
    )
    content_hash = models.CharField(
        _("content hash"),
        max_length=64,
        help_text=_("SHA-256 of the submitted content: a replay must match it."),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patrol_reports",
        verbose_name=_("reporter"),
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )

    # Input limits live on the fields (max_length, validators): the one definition that the
    # serializers, the form and the help texts read (houhu.lib.limits).
    location = models.PointField(_("location"), srid=4326)
    accuracy_m = models.FloatField(
        _("location accuracy (m)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100_000)],
    )
    location_source = models.CharField(
        _("location source"),
        max_length=10,
        choices=LocationSource.choices,
        default=LocationSource.GPS,
    )

    segment = models.ForeignKey(
        "grid.Segment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patrol_reports",
        verbose_name=_("line segment"),
    )
    distance_m = models.FloatField(
        _("distance to the line (m)"),
        null=True,
        blank=True,
        help_text=_("Measured on the spheroid to the nearest segment."),
    )
    in_zone = models.BooleanField(_("inside the protection zone"), default=False)
    district = models.ForeignKey(
        "grid.District",
        on_delete=models.PROTECT,
        related_name="patrol_reports",
        verbose_name=_("service grid"),
    )
    transformer_area = models.ForeignKey(
        "grid.TransformerArea",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patrol_reports",
        verbose_name=_("transformer area"),
    )
    village = models.ForeignKey(
        "grid.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patrol_reports",
        verbose_name=_("village"),
    )

    tree_count = models.PositiveSmallIntegerField(
        _("number of trees"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(999)],
    )
    # Beyond 100 m a tree is no obstacle to a distribution line (the widest zone is 20 m).
    tree_distance_m = models.FloatField(
        _("estimated distance to the conductor (m)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    construction_kind = models.CharField(
        _("construction type"), max_length=20, choices=ConstructionKind.choices, blank=True
    )
    construction_stopped = models.BooleanField(_("construction stopped"), null=True, blank=True)
    behaviour = models.CharField(
        _("unsafe behaviour"), max_length=40, choices=Behaviour.choices, blank=True
    )
    damage_kind = models.CharField(
        _("damaged facility"), max_length=20, choices=DamageKind.choices, blank=True
    )
    trees_removed = models.PositiveIntegerField(
        _("trees removed"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(999)],
    )
    cleared_by = models.CharField(
        _("cleared by"), max_length=10, choices=ClearedBy.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)

    submitted_at = models.DateTimeField(_("written at (phone time)"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    # Milestones copied from the events so that the counts are one SQL aggregation: the
    # first confirmation (time to confirm) and the latest clearing/verification.
    confirmed_at = models.DateTimeField(_("first confirmed at"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)

    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )

    class Meta:
        verbose_name = _("patrol report")
        verbose_name_plural = _("patrol reports")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=KINDS), name="patrols_report_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=STATUSES),
                name="patrols_report_status_valid",
            ),
            # Which statuses each kind can be in: the workflow table cannot be bypassed
            # by a bulk update either.
            models.CheckConstraint(
                condition=(Q(kind__in=HAZARD_KINDS) & Q(status__in=HAZARD_STATUSES))
                | (Q(kind="construction") & Q(status__in=CONSTRUCTION_STATUSES))
                | (Q(kind="nothing_found") & Q(status="recorded")),
                name="patrols_report_status_fits_kind",
            ),
            models.CheckConstraint(
                condition=Q(location_source__in=["gps", "map", "exif"]),
                name="patrols_report_location_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0),
                name="patrols_report_accuracy_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(distance_m__isnull=True) | Q(distance_m__gte=0),
                name="patrols_report_distance_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(segment__isnull=False) | Q(distance_m__isnull=True, in_zone=False),
                name="patrols_report_zone_needs_segment",
            ),
            # isnull=False is needed: a CHECK on NULL >= 1 is unknown, which passes.
            models.CheckConstraint(
                condition=(Q(kind="tree") & Q(tree_count__isnull=False, tree_count__gte=1))
                | (~Q(kind="tree") & Q(tree_count__isnull=True, tree_distance_m__isnull=True)),
                name="patrols_report_tree_fields",
            ),
            models.CheckConstraint(
                condition=Q(tree_distance_m__isnull=True) | Q(tree_distance_m__gte=0),
                name="patrols_report_tree_distance_nonnegative",
            ),
            models.CheckConstraint(
                condition=(Q(kind="construction") & Q(construction_kind__in=CONSTRUCTION_KINDS))
                | (~Q(kind="construction") & Q(construction_kind="", construction_stopped=None)),
                name="patrols_report_construction_fields",
            ),
            models.CheckConstraint(
                condition=(Q(kind="behaviour") & Q(behaviour__in=BEHAVIOURS))
                | (~Q(kind="behaviour") & Q(behaviour="")),
                name="patrols_report_behaviour_fields",
            ),
            models.CheckConstraint(
                condition=(Q(kind="damage") & Q(damage_kind__in=DAMAGE_KINDS))
                | (~Q(kind="damage") & Q(damage_kind="")),
                name="patrols_report_damage_fields",
            ),
            models.CheckConstraint(
                condition=Q(cleared_by__in=["", "self", "crew", "other"]),
                name="patrols_report_cleared_by_valid",
            ),
            # Trees are only counted as removed on a tree report.
            models.CheckConstraint(
                condition=Q(trees_removed__isnull=True) | Q(kind="tree"),
                name="patrols_report_trees_removed_only_tree",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status="rejected"),
                name="patrols_report_merged_is_rejected",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | ~Q(merged_into=models.F("pk")),
                name="patrols_report_not_merged_into_self",
            ),
        ]
        indexes = [
            # Merge suggestions ("open report of the same kind within 30 m") and the
            # nearest-report lookups measure metres on this cast.
            GistIndex(geography("location", models.PointField), name="patrols_report_geog_gist"),
            # The staff workspace filters a grid's reports by status, newest first.
            models.Index(
                fields=["district", "status", "-received_at"], name="patrols_report_dist_status"
            ),
            # "My reports" for a villager.
            models.Index(fields=["reporter", "-received_at"], name="patrols_report_reporter"),
            # "Segments patrolled in the last 30 days" scans recent reports per segment.
            models.Index(fields=["segment", "-submitted_at"], name="patrols_report_segment_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("patrols:report_detail", args=[self.pk])

    @property
    def is_hazard(self) -> bool:
        return self.kind in self.HAZARD_KINDS

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


def _photo_path(photo: ReportPhoto, filename: str) -> str:
    # Names are generated in patrols.photos; the report id keeps a directory per report.
    return f"patrols/{photo.report_id}/{filename}"


class ReportPhoto(models.Model):
    class Stage(models.TextChoices):
        REPORT = "report", _("When reported")
        CLEARING = "clearing", _("After clearing")
        EVIDENCE = "evidence", _("Verification evidence")

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="photos", verbose_name=_("report")
    )
    event = models.ForeignKey(
        "ReportEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("event"),
        help_text=_("The transition this photo is evidence for."),
    )
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.REPORT)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    # Re-encoded without metadata by patrols.photos: never the bytes the phone sent.
    # No width_field/height_field: those re-read the file on every model load; the
    # dimensions are set once from the re-encoded copy.
    image = models.ImageField(_("image"), upload_to=_photo_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_photo_path, blank=True)
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    sha256 = models.CharField(_("SHA-256 of the file as sent"), max_length=64)
    exif_stripped = models.BooleanField(_("metadata removed"), default=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("report photo")
        verbose_name_plural = _("report photos")
        ordering = ["report", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__in=["report", "clearing", "evidence"]),
                name="patrols_reportphoto_stage_valid",
            ),
            # A photo is only ever shown to others as a metadata-free copy.
            models.CheckConstraint(
                condition=Q(exif_stripped=True), name="patrols_reportphoto_exif_stripped"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}/{self.get_stage_display()}"


class ReportEvent(models.Model):
    """One step of a report's life. Never updated or deleted (a trigger refuses it)."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submit")
        CONFIRM = "confirm", _("Confirm")
        REJECT = "reject", _("Reject")
        CLEAR = "clear", _("Mark cleared")
        VERIFY = "verify", _("Verify")
        REOPEN = "reopen", _("Reopen")
        NOT_FIXED = "not_fixed", _("Not fixed")
        STOP = "stop", _("Stop the construction")
        PERMIT = "permit", _("Permit with safety measures")
        ESCALATE = "escalate", _("Escalate")
        MERGE = "merge", _("Merge as duplicate")

    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="events", verbose_name=_("report")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(
        _("from status"), max_length=20, choices=Report.Status.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=20, choices=Report.Status.choices)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # On-site evidence of a verification (patrols.workflow, four eyes): a second person
    # present, or how far from the hazard the phone was when the evidence photo was taken.
    witness_name = models.CharField(_("second person present"), max_length=50, blank=True)
    evidence_distance_m = models.FloatField(
        _("evidence photo taken at (m from the hazard)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("report event")
        verbose_name_plural = _("report events")
        ordering = ["report", "at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=ACTIONS),
                name="patrols_reportevent_action_valid",
            ),
            models.CheckConstraint(
                condition=Q(to_status__in=STATUSES),
                name="patrols_reportevent_to_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.from_status or '-'} → {self.to_status}"


class Notification(models.Model):
    class Verb(models.TextChoices):
        NEW_REPORT = "new_report", _("New report")
        STATUS_CHANGED = "status_changed", _("Status changed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="patrol_notifications",
        verbose_name=_("recipient"),
    )
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("report")
    )
    event = models.ForeignKey(
        ReportEvent,
        on_delete=models.PROTECT,
        related_name="notifications",
        verbose_name=_("event"),
    )
    verb = models.CharField(_("verb"), max_length=20, choices=Verb.choices)
    message = models.CharField(_("message"), max_length=300)
    created = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verb__in=["new_report", "status_changed"]),
                name="patrols_notification_verb_valid",
            ),
            # The notify task may run twice (acks_late): one row per event and person.
            models.UniqueConstraint(
                fields=["event", "recipient"], name="patrols_notification_once_per_event"
            ),
        ]
        indexes = [
            # The unread badge on every page: a user's unread notifications.
            models.Index(
                fields=["recipient", "-created"],
                condition=Q(read_at__isnull=True),
                name="patrols_notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.message


class ServiceTarget(models.Model):
    """The confirmation target set by staff: "overdue for confirmation" (patrols.figures)
    is measured against it. (The clearing targets are per hazard kind, in one setting,
    PATROLS_SLA_HOURS: the same company rules for every station.)

    The row without a station is the default; a station's own row overrides it; without
    any row, settings.STATS_CONFIRM_WITHIN_HOURS applies. The table kept the name it had
    when the statistics app owned the model.
    """

    station = models.OneToOneField(
        "grid.Station",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="service_target",
        verbose_name=_("station"),
        help_text=_("Empty: the default for every station."),
    )
    confirm_within_hours = models.PositiveIntegerField(
        _("confirm a hazard within (hours)"), default=24
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        db_table = "stats_servicetarget"
        verbose_name = _("service target")
        verbose_name_plural = _("service targets")
        constraints = [
            # One default row (station NULL) and one per station: a plain unique on a
            # nullable column would let NULLs repeat.
            models.UniqueConstraint(
                Coalesce("station", Value(0)), name="stats_servicetarget_one_per_station"
            ),
            models.CheckConstraint(
                condition=Q(confirm_within_hours__gt=0),
                name="stats_servicetarget_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(self.station) if self.station_id else str(_("Default service target"))


def validate_wecom_webhook(url: str) -> None:
    """A WeCom group robot's address must start with one of
    settings.PATROLS_WECOM_URL_PREFIXES (WeCom's own endpoint by default): the server posts
    there, so a free address would let an admin aim it at the station's own network."""
    from django.core.exceptions import ValidationError

    prefixes = settings.PATROLS_WECOM_URL_PREFIXES
    if not any(url.startswith(p) for p in prefixes):
        raise ValidationError(
            _("Enter the robot's webhook address, starting with %(prefix)s"),
            params={"prefix": prefixes[0] if prefixes else "https://qyapi.weixin.qq.com/"},
            code="wecom_address",
        )


class GridRobot(models.Model):
    """The WeCom (企业微信) group robot of a grid: its manager's group with the grid's
    aquaculture households ("线上叫, 线下到"), told of new urgent hazards and of their
    clearing (patrols.wecom).

    A row per grid edited in the admin rather than a setting: the address changes whenever
    a group is recreated or a manager changes, which staff handle without a deployment;
    and it is kept out of the grid app, which knows nothing of notifications.
    """

    district = models.OneToOneField(
        "grid.District",
        on_delete=models.CASCADE,
        related_name="wecom_robot",
        verbose_name=_("service grid"),
    )
    webhook_url = models.URLField(
        _("webhook address"),
        max_length=300,
        validators=[validate_wecom_webhook],
        help_text=_(
            "From the group's robot settings: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("WeCom group robot")
        verbose_name_plural = _("WeCom group robots")
        ordering = ["district"]

    def __str__(self) -> str:
        return str(self.district)


class WecomPost(models.Model):
    """One message to a grid's WeCom group, written with the event it announces and marked
    posted by the outbox job that sends it. A job run again (a relay retry, an old message
    redelivered) finds `posted_at` set and posts nothing: one message per event."""

    event = models.OneToOneField(
        ReportEvent, on_delete=models.PROTECT, related_name="wecom_post", verbose_name=_("event")
    )
    district = models.ForeignKey(
        "grid.District", on_delete=models.CASCADE, related_name="+", verbose_name=_("service grid")
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("WeCom message")
        verbose_name_plural = _("WeCom messages")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.district} #{self.event_id}"


class ReportSighting(models.Model):
    """A villager about to report a hazard was told that the same kind of hazard was
    already reported within PATROLS_MERGE_DISTANCE_M and added theirs to it: one more
    pair of eyes on that report, not a second report for staff to merge (issue 13).

    One row per phone submission: `client_id` is made on the phone, so a resend after a
    lost answer finds the first row instead of adding another."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="sightings", verbose_name=_("report")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("seen by"),
    )
    client_id = models.UUIDField(_("client id"), unique=True)
    location = models.PointField(_("location"), srid=4326)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("sighting of a reported hazard")
        verbose_name_plural = _("sightings of reported hazards")
        ordering = ["report", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id}: +1 ({self.at:%Y-%m-%d})"
