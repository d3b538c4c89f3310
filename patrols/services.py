"""Every write of the patrols app: submitting a report, moving it through the workflow,
reading a notification. Keyword-only, typed, atomic. What must follow a change is recorded
in its transaction: notifications are rows written with it, the rest (thumbnails, e-mail,
the grid's statistics) are outbox jobs (houhu.outbox) that the relay carries out, so a
broker outage neither fails the request nor loses the work.

Photos are validated and re-encoded in memory before any row is written, so a bad photo
never leaves half a report behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houhu.accounts import scopes
from houhu.accounts.scopes import Can, can_act_in_district
from houhu.grid.geo import metres_between
from houhu.grid.models import Segment
from houhu.lib.dates import CLOCK_SKEW
from houhu.lib.signals import ledger_changed
from houhu.outbox.services import defer

from . import notifications, snapping, throttles, wecom, workflow
from . import photos as photo_intake
from .errors import InvalidInput, NotAllowed, ReplayMismatch, TransitionNotAllowed
from .models import Notification, Report, ReportEvent, ReportPhoto, ReportSighting
from .selectors import open_reports_near

if TYPE_CHECKING:
    from houhu.accounts.models import User

K = Report.Kind
A = ReportEvent.Action

# "Cleared by" has no default: said by the service and the boundary alike.
CLEARED_BY_MISSING = _("Choose who cleared it: the villagers, the station crew or someone else.")

# Phone clocks drift: a report dated up to CLOCK_SKEW ahead (further is refused at the
# boundary, houhu.lib.dates) is stored at the time it arrived.


# --- Submission ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A patrol report as the one boundary typed it (serializers.ReportSubmitSerializer,
    for the API and the page alike): choices checked, limits from the model, the kind's
    own fields only (the others are left empty), a point for the location."""

    client_id: uuid.UUID
    kind: str
    location: Point | None = None  # None: take it from a photo's GPS
    accuracy_m: float | None = None
    location_source: str = ""  # "": the phone's GPS, or the photo's when it had none
    note: str = ""
    submitted_at: dt.datetime | None = None  # written, by the phone's clock (None: now)
    # The server's clock minus the phone's when it sent (zero if unknown): added to
    # submitted_at when stored. Not content: every retry measures it anew.
    clock_offset: dt.timedelta = dt.timedelta(0)
    tree_count: int | None = None
    tree_distance_m: float | None = None
    construction_kind: str = ""
    construction_stopped: bool | None = None
    behaviour: str = ""
    damage_kind: str = ""
    photos: tuple = ()  # uploaded files; decoded by the image intake, before any write

    def content(self) -> dict[str, Any]:
        """What makes two submissions "the same" (with the photos' bytes): the submitted
        fields, as the phone's retries send them again."""
        source = self.location_source or (
            Report.LocationSource.GPS if self.location else Report.LocationSource.EXIF
        )
        return {
            "kind": self.kind,
            "lon": round(self.location.x, 7) if self.location else None,
            "lat": round(self.location.y, 7) if self.location else None,
            "accuracy_m": self.accuracy_m,
            "location_source": source,
            "note": self.note,
            "submitted_at": self.submitted_at,
            "tree_count": self.tree_count,
            "tree_distance_m": self.tree_distance_m,
            "construction_kind": self.construction_kind,
            "construction_stopped": self.construction_stopped,
            "behaviour": self.behaviour,
            "damage_kind": self.damage_kind,
        }


def content_hash(content: Mapping[str, Any], photo_hashes: Iterable[str]) -> str:
    """SHA-256 of the submitted content and the photos' bytes (stored with the report: a
    replay of its client id must match it)."""
    payload = {**content, "photos": sorted(photo_hashes)}
    at = payload.get("submitted_at")
    if at is not None:
        payload["submitted_at"] = at.astimezone(dt.UTC).isoformat(timespec="seconds")
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(existing: Report, *, reporter: User, digest: str) -> tuple[Report, bool]:
    # Another user's id, or this user's id with other content: refuse, never overwrite.
    if existing.reporter_id != reporter.pk or existing.content_hash != digest:
        raise ReplayMismatch()
    return existing, False


def _save_photos(
    *, report: Report, event: ReportEvent | None, processed, stage: str, by: User
) -> list[int]:
    ids = []
    for item in processed:
        photo = ReportPhoto(
            report=report, event=event, stage=stage, uploaded_by=by, sha256=item.sha256,
            width=item.width, height=item.height,
        )  # fmt: skip
        # A fresh random name: the phone's file name may carry personal data.
        photo.image.save(f"{uuid.uuid4().hex}.jpg", ContentFile(item.content), save=False)
        photo.save()
        ids.append(photo.pk)
    return ids


def _record_follow_up(
    *, event: ReportEvent, photo_ids: list[int], district_id: int, robot: bool | None = None
) -> None:
    """In the caller's transaction: the notifications themselves, outbox jobs for the rest,
    and the news that the ledger changed (the statistics record their refresh on it)."""
    notifications.notify(event)
    wecom.record(event, robot=robot)
    if photo_ids:
        defer("patrols.make_thumbnails", payload={"photo_ids": photo_ids})
    ledger_changed.send(sender=Report, district_ids=[district_id])


def report_submit(*, reporter: User, submission: Submission) -> tuple[Report, bool]:
    """Record a patrol report once, whatever the number of retries.

    Returns (report, created). A retry with the same client id and content returns the
    first report with created=False; the same id with other content raises ReplayMismatch.
    Two retries racing each other meet at the unique index on client_id: the loser's
    transaction fails and it re-reads the winner's row.

    Statements (issue 12: at most 6 per submission with the request's own): one that says
    everything the submission needs to know (snapping.intake: replay, throttle, place,
    grid and its manager), then the inserts of the report, its event, the notification
    and the statistics job. The report object returned is complete for the answer
    (serializers.ReportSerializer) without reading it again.
    """
    s = submission
    content = s.content()
    digest = content_hash(content, [photo_intake.sha256_of(p) for p in s.photos])

    if s.photos:
        # Decoding photos is the dear part of a submission: a replay must not pay it again.
        existing = Report.objects.filter(client_id=s.client_id).first()
        if existing is not None:
            return _replay(existing, reporter=reporter, digest=digest)
    if not scopes.can(reporter, Can.FILE_REPORTS):
        raise NotAllowed(_("County leaders read the ledger; they do not write reports."))
    processed = [photo_intake.process(p) for p in s.photos]

    if s.location is not None:
        point, source = s.location, content["location_source"]
    else:
        # No fix from the phone: the first photo that carries GPS suggests the place.
        gps = next((p.gps for p in processed if p.gps is not None), None)
        if gps is None:
            raise InvalidInput(
                _("The location is missing: allow GPS or tap the place on the map."),
                field="lon",
            )
        point, source = gps, Report.LocationSource.EXIF

    now = timezone.now()
    known = snapping.intake(
        reporter=reporter, point=point, client_id=s.client_id, since=throttles.window_start(now)
    )
    if known.existing_id is not None:
        # A replay is answered with the stored report, never counted nor refused.
        if known.existing_reporter_id != reporter.pk or known.existing_hash != digest:
            raise ReplayMismatch()
        return Report.objects.get(pk=known.existing_id), False
    throttles.check(count=known.recent_count, oldest=known.oldest_recent, now=now)
    where = known.snap
    if where is None:
        raise snapping.outside_grid()

    # By the server's clock: the phone's time moved by how far its clock is off.
    written = s.submitted_at + s.clock_offset if s.submitted_at else now
    report = Report(
        client_id=s.client_id,
        content_hash=digest,
        reporter=reporter,
        kind=s.kind,
        status=Report.Status.RECORDED if s.kind == K.NOTHING_FOUND else Report.Status.SUBMITTED,
        location=point,
        accuracy_m=s.accuracy_m,
        location_source=source,
        segment_id=where.segment_id,
        distance_m=where.distance_m,
        in_zone=where.in_zone,
        district=where.district,
        transformer_area_id=where.transformer_area_id,
        village_id=where.village_id,
        tree_count=s.tree_count,
        tree_distance_m=s.tree_distance_m,
        construction_kind=s.construction_kind,
        construction_stopped=s.construction_stopped,
        behaviour=s.behaviour,
        damage_kind=s.damage_kind,
        note=s.note,
        submitted_at=min(written, now + CLOCK_SKEW),
        received_at=now,
        status_changed_at=now,
    )
    if where.segment_id is not None:
        # The answer names the segment; its code came with the place.
        report.segment = Segment(id=where.segment_id, code=where.segment_code)
    try:
        with transaction.atomic():
            report.save(force_insert=True)
            event = ReportEvent.objects.create(
                report=report,
                actor=reporter,
                at=now,
                action=A.SUBMIT,
                from_status="",
                to_status=report.status,
                note=report.note,
            )
            photo_ids = _save_photos(
                report=report,
                event=event,
                processed=processed,
                stage=ReportPhoto.Stage.REPORT,
                by=reporter,
            )
            _record_follow_up(
                event=event, photo_ids=photo_ids, district_id=report.district_id,
                robot=where.robot,
            )  # fmt: skip
    except IntegrityError:
        existing = Report.objects.filter(client_id=s.client_id).first()
        if existing is None:
            raise
        return _replay(existing, reporter=reporter, digest=digest)
    return report, True


# --- Sightings: "I see it too" ---------------------------------------------------------


def report_sighting_add(
    *, by: User, report_id: int, client_id: uuid.UUID, location: Point, note: str = ""
) -> tuple[ReportSighting, bool]:
    """Add a villager's sighting to an open report of the same hazard nearby, instead of
    a second report. Returns (sighting, created); the same client id again returns the
    first sighting (a resend), whoever raced whom to the unique index."""
    existing = ReportSighting.objects.filter(client_id=client_id).first()
    if existing is not None:
        if existing.by_id != by.pk or existing.report_id != report_id:
            raise ReplayMismatch(_("This sighting was already sent with other content."))
        return existing, False
    if not scopes.can(by, Can.FILE_REPORTS):
        raise NotAllowed(_("County leaders read the ledger; they do not write reports."))
    target = Report.objects.filter(pk=report_id).only("kind").first()
    # The same rule that offered the report: open, same kind, within the radius, in a
    # grid this user sees. Anything else is refused as if it did not exist.
    if (
        target is None
        or not open_reports_near(by, kind=target.kind, point=location).filter(pk=report_id).exists()
    ):
        raise InvalidInput(_("That report is no longer open near this place."), field="report")
    sighting = ReportSighting(
        report_id=report_id, by=by, client_id=client_id, location=location, note=note
    )
    try:
        with transaction.atomic():
            sighting.save(force_insert=True)
    except IntegrityError:
        existing = ReportSighting.objects.filter(client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return sighting, True


# --- Workflow -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One workflow step as the boundary typed it (serializers.ActionSerializer): the
    action, its note, the clearing's fields, the report a duplicate merges into, photos."""

    action: str
    note: str = ""
    cleared_by: str = ""
    trees_removed: int | None = None
    merge_into: int | None = None
    photos: tuple = ()
    witness: str = ""  # a second person present at a verification
    position: Point | None = None  # the phone's position when the evidence was taken


def _on_site_evidence(report: Report, step: Step, processed) -> dict[str, Any]:
    """The event's evidence fields for a verification, or a translated refusal: a photo
    taken within the station's distance of the hazard (the phone's position, else the
    photo's own GPS), or, where the station allows it, a second person's name."""
    rule = workflow.evidence_rule(report.district.station.code)
    too_far = None
    if processed:
        where = step.position or next((p.gps for p in processed if p.gps is not None), None)
        if where is not None:
            metres = metres_between(report.location, where)
            if metres <= rule.max_distance_m:
                return {"evidence_distance_m": round(metres, 1)}
            too_far = metres
    witness = step.witness.strip()
    if witness and rule.second_person_allowed:
        return {"witness_name": witness}
    limit = {"max": f"{rule.max_distance_m:g}"}
    if too_far is not None:
        raise InvalidInput(
            _("The evidence photo was taken %(m)s m from the hazard; take it within %(max)s m.")
            % {"m": f"{too_far:.0f}", **limit},
            field="photos",
        )
    if rule.second_person_allowed:
        message = _(
            "Verification needs evidence from the site: a photo taken within %(max)s m of "
            "the hazard with the phone's position, or the name of a second person present."
        )
    else:
        message = _(
            "Verification needs evidence from the site: a photo taken within %(max)s m of "
            "the hazard with the phone's position."
        )
    raise InvalidInput(message % limit, field="photos")


def report_transition(*, report: Report, step: Step, by: User) -> Report:
    """Take one step of the workflow (see patrols.workflow.TRANSITIONS) or refuse it.

    The row is locked, so two staff acting at once are serialised and the second sees the
    first one's status. A refusal raises a translated domain error and writes nothing.
    What the step needs (a note, a photo, the clearing's fields) depends on the report's
    kind and status, so it is checked here, on the typed values.
    """
    action, note = step.action, step.note.strip()
    processed = [photo_intake.process(p) for p in step.photos]
    merge_into_id = step.merge_into
    if action == A.MERGE and merge_into_id is None:
        raise InvalidInput(_("Choose the report this one duplicates."), field="merge_into")

    with transaction.atomic():
        # Both rows of a merge are locked in id order so two opposite merges cannot deadlock.
        ids = sorted({report.pk, merge_into_id} - {None})
        locked = {r.pk: r for r in Report.objects.select_for_update().filter(pk__in=ids)}
        current = locked.get(report.pk)
        if current is None:
            raise TransitionNotAllowed(_("This report no longer exists."))
        row = workflow.check(current, action, by)

        if row.needs_note and not note:
            messages = {
                A.REJECT: _("Give the reason for rejecting the report."),
                A.PERMIT: _("Describe the safety measures required."),
                A.ESCALATE: _("Say why and to whom the case is escalated."),
                A.REOPEN: _("Say what is still wrong."),
            }
            raise InvalidInput(messages.get(action, _("A note is required.")), field="note")
        if row.needs_photo and not processed:
            raise InvalidInput(_("Add a photo taken after the clearing."), field="photos")
        evidence = _on_site_evidence(current, step, processed) if row.needs_on_site else {}

        now = timezone.now()
        from_status = current.status
        changed = ["status", "status_changed_at"]
        event_data: dict[str, Any] = {}
        if row.needs_clearing:
            if not step.cleared_by:
                raise InvalidInput(CLEARED_BY_MISSING, field="cleared_by")
            trees_removed = None
            if current.kind == K.TREE:
                if step.trees_removed is None:
                    raise InvalidInput(
                        _("Enter how many trees were removed."), field="trees_removed"
                    )
                trees_removed = step.trees_removed
            current.cleared_by = step.cleared_by
            current.trees_removed = trees_removed
            current.cleared_at = now
            changed += ["cleared_by", "trees_removed", "cleared_at"]
            event_data["cleared_by"] = step.cleared_by
            if trees_removed is not None:
                event_data["trees_removed"] = trees_removed
        if row.needs_merge_target:
            target = locked.get(merge_into_id)
            if target is None or target.pk == current.pk:
                raise InvalidInput(_("Choose another existing report."), field="merge_into")
            if not can_act_in_district(by, target.district_id):
                raise NotAllowed(_("The other report is outside your grid."))
            if target.kind != current.kind or target.status == Report.Status.REJECTED:
                raise InvalidInput(
                    _("A report can only be merged into an open report of the same type."),
                    field="merge_into",
                )
            current.merged_into = target
            changed.append("merged_into")
            event_data["merge_into"] = target.pk

        if action == A.CONFIRM and current.confirmed_at is None:
            current.confirmed_at = now
            changed.append("confirmed_at")
        if row.target == Report.Status.VERIFIED:
            current.verified_at = now
            changed.append("verified_at")
        if row.target == Report.Status.REOPENED:
            # The clearing is no longer verified; a later verification sets it again.
            current.verified_at = None
            changed.append("verified_at")
        if action == A.STOP:
            current.construction_stopped = True
            changed.append("construction_stopped")
        if action == A.PERMIT:
            current.construction_stopped = False
            changed.append("construction_stopped")

        current.status = row.target
        current.status_changed_at = now
        current.save(update_fields=changed)
        event = ReportEvent.objects.create(
            report=current,
            actor=by,
            at=now,
            action=action,
            from_status=from_status,
            to_status=row.target,
            note=note,
            data=event_data,
            **evidence,
        )
        stage = ReportPhoto.Stage.CLEARING if action == A.CLEAR else ReportPhoto.Stage.EVIDENCE
        photo_ids = _save_photos(
            report=current, event=event, processed=processed, stage=stage, by=by
        )
        _record_follow_up(event=event, photo_ids=photo_ids, district_id=current.district_id)
    return current


# --- Notifications ------------------------------------------------------------------------


def notification_mark_read(*, notification_id: int, by: User) -> Notification:
    """Mark one of the user's own notifications read (again is a no-op)."""
    notification = Notification.objects.filter(pk=notification_id, recipient=by).first()
    if notification is None:
        raise NotAllowed(_("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification
