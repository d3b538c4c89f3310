"""Every write of the patrols app: submitting a report, moving it through the workflow,
reading a notification. Keyword-only, typed, atomic; background work is queued on commit.

Photos are validated and re-encoded in memory before any row is written, so a bad photo
never leaves half a report behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houhu.accounts.scopes import can_act_in_district
from houhu.lib.signals import ledger_changed

from . import photos as photo_intake
from . import workflow
from .errors import InvalidInput, NotAllowed, ReplayMismatch, TransitionNotAllowed
from .models import Notification, Report, ReportEvent, ReportPhoto
from .snapping import make_point, snap, stations_of

if TYPE_CHECKING:
    from houhu.accounts.models import User

K = Report.Kind
A = ReportEvent.Action

# Submitted fields that belong to each kind; the rest of what a form sends is dropped.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    K.TREE: ("tree_count", "tree_distance_m"),
    K.CONSTRUCTION: ("construction_kind", "construction_stopped"),
    K.BEHAVIOUR: ("behaviour",),
    K.DAMAGE: ("damage_kind",),
    K.OTHER: (),
    K.NOTHING_FOUND: (),
}
# Phone clocks drift; a report dated in the future is stored at the time it arrived.
CLOCK_SKEW = dt.timedelta(minutes=10)


# --- Submission ---------------------------------------------------------------------------


def _number(data: Mapping[str, Any], name: str, *, low: float, high: float, integer=False):
    raw = data.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw) if integer else float(raw)
    except (TypeError, ValueError):
        raise InvalidInput(_("Enter a number."), field=name) from None
    if not (low <= value <= high):
        raise InvalidInput(
            _("Enter a number between %(low)s and %(high)s.") % {"low": low, "high": high},
            field=name,
        )
    return value


def _choice(data: Mapping[str, Any], name: str, choices, *, required: bool) -> str:
    value = (data.get(name) or "").strip() if isinstance(data.get(name), str) else data.get(name)
    if not value:
        if required:
            raise InvalidInput(_("Choose one."), field=name)
        return ""
    if value not in choices.values:
        raise InvalidInput(_("“%(value)s” is not a valid choice.") % {"value": value}, field=name)
    return value


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _datetime(value) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(_("Enter a valid date and time."), field="submitted_at") from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def clean_submission(data: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted content, checked and normalised (types, kind-specific fields)."""
    kind = _choice(data, "kind", K, required=True)
    note = str(data.get("note") or "").strip()
    if len(note) > 2000:
        raise InvalidInput(_("The note is too long (2,000 characters at most)."), field="note")
    has_location = data.get("lon") not in (None, "") or data.get("lat") not in (None, "")
    cleaned: dict[str, Any] = {
        "kind": kind,
        "lon": data.get("lon") if has_location else None,
        "lat": data.get("lat") if has_location else None,
        "accuracy_m": _number(data, "accuracy_m", low=0, high=100_000),
        "location_source": _choice(data, "location_source", Report.LocationSource, required=False)
        or (Report.LocationSource.GPS if has_location else Report.LocationSource.EXIF),
        "note": note,
        "submitted_at": _datetime(data.get("submitted_at")),
        "tree_count": None,
        "tree_distance_m": None,
        "construction_kind": "",
        "construction_stopped": None,
        "behaviour": "",
        "damage_kind": "",
    }
    if has_location:
        point = make_point(data.get("lon"), data.get("lat"))
        cleaned["lon"], cleaned["lat"] = round(point.x, 7), round(point.y, 7)
    if kind == K.TREE:
        # "How many trees" may be skipped on the phone: one obstacle is at least one tree.
        cleaned["tree_count"] = _number(data, "tree_count", low=1, high=10_000, integer=True) or 1
        cleaned["tree_distance_m"] = _number(data, "tree_distance_m", low=0, high=1000)
    elif kind == K.CONSTRUCTION:
        cleaned["construction_kind"] = _choice(
            data, "construction_kind", Report.ConstructionKind, required=True
        )
        cleaned["construction_stopped"] = _bool(data.get("construction_stopped"))
    elif kind == K.BEHAVIOUR:
        cleaned["behaviour"] = _choice(data, "behaviour", Report.Behaviour, required=True)
    elif kind == K.DAMAGE:
        cleaned["damage_kind"] = _choice(data, "damage_kind", Report.DamageKind, required=True)
    return cleaned


def content_hash(cleaned: Mapping[str, Any], photo_hashes: Iterable[str]) -> str:
    """What makes two submissions "the same": the cleaned content and the photos' bytes."""
    payload = {**cleaned, "photos": sorted(photo_hashes)}
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


def _queue_after_commit(*, event_id: int, photo_ids: list[int], district_id: int) -> None:
    from . import tasks

    # robust=True: the report is committed by then; a broker outage must not turn the
    # answer into a 500 (the phone would retry a report that is already recorded).
    transaction.on_commit(partial(tasks.notify.delay, event_id), robust=True)
    if photo_ids:
        transaction.on_commit(partial(tasks.make_thumbnails.delay, photo_ids), robust=True)
    # Inside the transaction: whoever listens (the statistics) defers its work to the commit.
    ledger_changed.send(sender=Report, district_ids=[district_id])


def report_submit(
    *,
    reporter: User,
    client_id: uuid.UUID | str,
    data: Mapping[str, Any],
    photos: Iterable = (),
) -> tuple[Report, bool]:
    """Record a patrol report once, whatever the number of retries.

    Returns (report, created). A retry with the same client id and content returns the
    first report with created=False; the same id with other content raises ReplayMismatch.
    Two retries racing each other meet at the unique index on client_id: the loser's
    INSERT fails inside its savepoint and it re-reads the winner's row.
    """
    try:
        client_id = uuid.UUID(str(client_id))
    except ValueError:
        raise InvalidInput(_("The client id must be a UUID."), field="client_id") from None
    photos = list(photos)
    cleaned = clean_submission(data)
    digest = content_hash(cleaned, [photo_intake.sha256_of(p) for p in photos])

    existing = Report.objects.filter(client_id=client_id).first()
    if existing is not None:
        return _replay(existing, reporter=reporter, digest=digest)

    if not reporter.is_authenticated or reporter.role == reporter.Role.LEADER:
        raise NotAllowed(_("County leaders read the ledger; they do not write reports."))
    if len(photos) > settings.PATROLS_MAX_PHOTOS:
        raise InvalidInput(
            _("At most %(n)d photos per report.") % {"n": settings.PATROLS_MAX_PHOTOS},
            field="photos",
        )
    processed = [photo_intake.process(p) for p in photos]

    if cleaned["lon"] is not None:
        point = make_point(cleaned["lon"], cleaned["lat"])
        source = cleaned["location_source"]
    else:
        # No fix from the phone: the first photo that carries GPS suggests the place.
        gps = next((p.gps for p in processed if p.gps is not None), None)
        if gps is None:
            raise InvalidInput(
                _("The location is missing: allow GPS or tap the place on the map."),
                field="lon",
            )
        point, source = gps, Report.LocationSource.EXIF
    where = snap(point, station_ids=stations_of(reporter))

    now = timezone.now()
    submitted_at = cleaned["submitted_at"] or now
    kind = cleaned["kind"]
    report = Report(
        client_id=client_id,
        content_hash=digest,
        reporter=reporter,
        kind=kind,
        status=Report.Status.RECORDED if kind == K.NOTHING_FOUND else Report.Status.SUBMITTED,
        location=point,
        accuracy_m=cleaned["accuracy_m"],
        location_source=source,
        segment=where.segment,
        distance_m=where.distance_m,
        in_zone=where.in_zone,
        district=where.district,
        transformer_area=where.transformer_area,
        village=where.village,
        tree_count=cleaned["tree_count"],
        tree_distance_m=cleaned["tree_distance_m"],
        construction_kind=cleaned["construction_kind"],
        construction_stopped=cleaned["construction_stopped"],
        behaviour=cleaned["behaviour"],
        damage_kind=cleaned["damage_kind"],
        note=cleaned["note"],
        submitted_at=min(submitted_at, now + CLOCK_SKEW),
        received_at=now,
        status_changed_at=now,
    )
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
            _queue_after_commit(
                event_id=event.pk, photo_ids=photo_ids, district_id=report.district_id
            )
    except IntegrityError:
        existing = Report.objects.filter(client_id=client_id).first()
        if existing is None:
            raise
        return _replay(existing, reporter=reporter, digest=digest)
    return report, True


# --- Workflow -----------------------------------------------------------------------------


def _clearing_fields(report: Report, data: Mapping[str, Any]) -> dict[str, Any]:
    cleared_by = _choice(data, "cleared_by", Report.ClearedBy, required=True)
    trees_removed = None
    if report.kind == K.TREE:
        trees_removed = _number(data, "trees_removed", low=0, high=10_000, integer=True)
        if trees_removed is None:
            raise InvalidInput(_("Enter how many trees were removed."), field="trees_removed")
    return {"cleared_by": cleared_by, "trees_removed": trees_removed}


def report_transition(
    *,
    report: Report,
    action: str,
    by: User,
    note: str = "",
    data: Mapping[str, Any] | None = None,
    photos: Iterable = (),
) -> Report:
    """Take one step of the workflow (see patrols.workflow.TRANSITIONS) or refuse it.

    The row is locked, so two staff acting at once are serialised and the second sees the
    first one's status. A refusal raises a translated domain error and writes nothing.
    """
    data = dict(data or {})
    note = str(note or "").strip()
    photos = list(photos)
    if len(note) > 2000:
        raise InvalidInput(_("The note is too long (2,000 characters at most)."), field="note")
    if len(photos) > settings.PATROLS_MAX_PHOTOS:
        raise InvalidInput(
            _("At most %(n)d photos per report.") % {"n": settings.PATROLS_MAX_PHOTOS},
            field="photos",
        )
    processed = [photo_intake.process(p) for p in photos]
    merge_into_id = None
    if action == A.MERGE:
        merge_into_id = _number(data, "merge_into", low=1, high=2**62, integer=True)
        if merge_into_id is None:
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
        if row.needs_evidence and not (processed or note):
            raise InvalidInput(
                _("Add evidence for the verification: a photo or a note."), field="note"
            )

        now = timezone.now()
        from_status = current.status
        changed = ["status", "status_changed_at"]
        event_data: dict[str, Any] = {}
        if row.needs_clearing:
            fields = _clearing_fields(current, data)
            current.cleared_by = fields["cleared_by"]
            current.trees_removed = fields["trees_removed"]
            current.cleared_at = now
            changed += ["cleared_by", "trees_removed", "cleared_at"]
            event_data.update({k: v for k, v in fields.items() if v is not None})
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
        )
        stage = ReportPhoto.Stage.CLEARING if action == A.CLEAR else ReportPhoto.Stage.EVIDENCE
        photo_ids = _save_photos(
            report=current, event=event, processed=processed, stage=stage, by=by
        )
        _queue_after_commit(event_id=event.pk, photo_ids=photo_ids, district_id=current.district_id)
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
