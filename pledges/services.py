"""Every write and rule of the pledges app: the compact's versions, signing, responsibility.

Each service is keyword-only, runs in one transaction, validates with `full_clean()`, raises
a translated domain error (`pledges.errors`) for a broken rule (nothing is changed then), and
appends an immutable event row per state change. Who may act is decided by
`houhu.accounts.scopes`. Background work is queued with `transaction.on_commit`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from houhu.accounts.scopes import can_act_in_district, districts_for
from houhu.grid.geo import distance_m
from houhu.grid.models import District, Household, Segment, Station, Village
from houhu.lib.images import ProcessedImage
from houhu.lib.signals import ledger_changed

from . import errors, scans
from .models import (
    Assignment,
    AssignmentEvent,
    Clause,
    Compact,
    CompactVersion,
    CompactVersionEvent,
    HouseholdVisit,
    Pledge,
    PledgeEvent,
)
from .selectors import compact_covers_village_q, compact_in_force

if TYPE_CHECKING:
    from django.core.files import File

    from houhu.accounts.models import User


def _now() -> dt.datetime:
    return timezone.now()


def _today() -> dt.date:
    return timezone.localdate()


def _full_clean(obj: Any, exclude: Sequence[str] = ()) -> None:
    """full_clean, turned into a domain error (constraints are checked by the database)."""
    try:
        obj.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as exc:
        raise errors.BadInput("; ".join(exc.messages)) from exc


# --- who may act ---------------------------------------------------------------------------


def _require_station_staff(user: User, station: Station | int) -> None:
    """Compacts are the station's: its staff (or an admin) write them."""
    station_id = station if isinstance(station, int) else station.pk
    if not (user.is_authenticated and (user.is_station_staff or user.is_superuser)):
        raise errors.NotAllowed(_("Only station staff may write or publish the compact."))
    # Staff without a station are county-wide administrators (scopes.districts_for agrees).
    if user.station_id not in (None, station_id):
        raise errors.NotAllowed(_("This compact belongs to another station."))


def _require_district(user: User, district_id: int) -> None:
    if not can_act_in_district(user, district_id):
        raise errors.NotAllowed()


def _household_district_id(household: Household) -> int:
    return household.transformer_area.district_id


def ledger_changed_in(district_ids: Iterable[int], sender: type = Pledge) -> None:
    """Announce, inside the transaction, which grids' figures this change may move; the
    statistics subscribe (houhu.lib.signals) and act after the commit."""
    ledger_changed.send(sender=sender, district_ids=sorted(set(district_ids)))


# --- compact -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClauseInput:
    kind: str
    text: str


def _version_event(version: CompactVersion, by: User | None, frm: str, to: str, note=""):
    CompactVersionEvent.objects.create(
        version=version, by=by, from_status=frm, to_status=to, note=note
    )


def _lock_draft(version: CompactVersion) -> CompactVersion:
    locked = CompactVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != CompactVersion.Status.DRAFT:
        raise errors.VersionFrozen()
    return locked


@transaction.atomic
def compact_create(
    *,
    station: Station,
    title: str,
    scope: str = Compact.Scope.STATION,
    district: District | None = None,
    village: Village | None = None,
    motto: str | None = None,
    effective_from: dt.date | None = None,
    renew_after_days: int | None = None,
    clauses: Iterable[ClauseInput | dict] = (),
    by: User,
) -> Compact:
    """A new compact with its first version as a draft (clauses numbered 1, 2, ...)."""
    _require_station_staff(by, station)
    if district is not None and district.station_id != station.pk:
        raise errors.NotAllowed(_("This service grid belongs to another station."))
    if village is not None and village.station_id != station.pk:
        raise errors.NotAllowed(_("This village belongs to another station."))
    compact = Compact(
        station=station,
        title=title.strip(),
        scope=scope,
        district=district if scope == Compact.Scope.DISTRICT else None,
        village=village if scope == Compact.Scope.VILLAGE else None,
        created_by=by,
    )
    if motto is not None:
        compact.motto = motto
    if scope == Compact.Scope.DISTRICT and district is None:
        raise errors.BadInput(_("Choose the service grid this compact applies to."))
    if scope == Compact.Scope.VILLAGE and village is None:
        raise errors.BadInput(_("Choose the village this compact applies to."))
    _full_clean(compact)
    compact.save()
    version = CompactVersion(
        compact=compact,
        number=1,
        effective_from=effective_from,
        renew_after_days=renew_after_days,
        created_by=by,
    )
    _full_clean(version, exclude=["compact"])
    version.save()
    _version_event(version, by, "", CompactVersion.Status.DRAFT, _("created"))
    for n, c in enumerate(clauses, start=1):
        data = c if isinstance(c, dict) else {"kind": c.kind, "text": c.text}
        clause = Clause(version=version, number=n, kind=data["kind"], text=data["text"].strip())
        _full_clean(clause, exclude=["version"])
        clause.save()
    return compact


@transaction.atomic
def version_update(
    *,
    version: CompactVersion,
    by: User,
    effective_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    renew_after_days: int | None = None,
    change_note: str | None = None,
) -> CompactVersion:
    """Edit a draft's dates and note. Published and superseded versions are frozen."""
    _require_station_staff(by, version.compact.station_id)
    version = _lock_draft(version)
    if effective_from is not None:
        version.effective_from = effective_from
    if valid_until is not None:
        version.valid_until = valid_until
    if renew_after_days is not None:
        version.renew_after_days = renew_after_days or None
    if change_note is not None:
        version.change_note = change_note
    if (
        version.valid_until
        and version.effective_from
        and version.valid_until < version.effective_from
    ):
        raise errors.BadInput(_("The end date is before the start date."))
    _full_clean(version)
    version.save()
    return version


@transaction.atomic
def clause_add(
    *, version: CompactVersion, kind: str, text: str, number: int | None = None, by: User
) -> Clause:
    """Add a clause to a draft; with a number, later clauses move down by one."""
    _require_station_staff(by, version.compact.station_id)
    version = _lock_draft(version)
    last = version.clauses.aggregate(m=Max("number"))["m"] or 0
    if number is None or number > last:
        number = last + 1
    else:
        number = max(number, 1)
        _renumber(version, from_number=number, delta=1)
    clause = Clause(version=version, number=number, kind=kind, text=text.strip())
    _full_clean(clause)
    clause.save()
    return clause


def _renumber(version: CompactVersion, *, from_number: int, delta: int) -> None:
    # Via a large offset: one UPDATE of number + delta would collide with the (version,
    # number) unique constraint row by row, and numbers cannot go negative.
    offset = 1_000_000
    version.clauses.filter(number__gte=from_number).update(number=F("number") + offset + delta)
    version.clauses.filter(number__gte=offset).update(number=F("number") - offset)


@transaction.atomic
def clause_update(*, clause: Clause, kind: str | None = None, text: str | None = None, by: User):
    _require_station_staff(by, clause.version.compact.station_id)
    _lock_draft(clause.version)
    clause = Clause.objects.get(pk=clause.pk)
    if kind is not None:
        clause.kind = kind
    if text is not None:
        clause.text = text.strip()
    _full_clean(clause)
    clause.save()
    return clause


@transaction.atomic
def clause_delete(*, clause: Clause, by: User) -> None:
    _require_station_staff(by, clause.version.compact.station_id)
    version = _lock_draft(clause.version)
    number = clause.number
    Clause.objects.filter(pk=clause.pk).delete()
    _renumber(version, from_number=number + 1, delta=-1)


@transaction.atomic
def compact_publish(
    *, version: CompactVersion, by: User, effective_from: dt.date | None = None
) -> CompactVersion:
    """Put a draft in force; the compact's previously published version is superseded (it
    stays readable, and pledges on it stay active until renewed)."""
    _require_station_staff(by, version.compact.station_id)
    # Lock the compact: two staff publishing at once must not leave two versions in force.
    Compact.objects.select_for_update().get(pk=version.compact_id)
    version = _lock_draft(version)
    if effective_from is not None:
        version.effective_from = effective_from
    if version.effective_from is None:
        raise errors.BadInput(_("Set the date the compact takes effect before publishing."))
    if not version.clauses.exists():
        raise errors.BadInput(_("A compact without clauses cannot be published."))
    now = _now()
    previous = (
        CompactVersion.objects.select_for_update()
        .filter(compact_id=version.compact_id, status=CompactVersion.Status.PUBLISHED)
        .first()
    )
    if previous is not None:
        if previous.number > version.number:
            raise errors.InvalidTransition(_("A newer version is already in force."))
        previous.status = CompactVersion.Status.SUPERSEDED
        previous.superseded_at = now
        previous.save(update_fields=["status", "superseded_at"])
        _version_event(
            previous,
            by,
            CompactVersion.Status.PUBLISHED,
            CompactVersion.Status.SUPERSEDED,
            _("superseded by version %(number)s") % {"number": version.number},
        )
    version.status = CompactVersion.Status.PUBLISHED
    version.published_at = now
    version.published_by = by
    _full_clean(version)
    version.save()
    _version_event(version, by, CompactVersion.Status.DRAFT, CompactVersion.Status.PUBLISHED)
    return version


@transaction.atomic
def compact_new_version(*, compact: Compact, by: User, change_note: str = "") -> CompactVersion:
    """A new draft version with the clauses of the latest version copied, to edit."""
    _require_station_staff(by, compact.station_id)
    Compact.objects.select_for_update().get(pk=compact.pk)
    if compact.versions.filter(status=CompactVersion.Status.DRAFT).exists():
        raise errors.InvalidTransition(
            _("A draft version already exists: edit it instead of starting another.")
        )
    latest = compact.versions.order_by("-number").first()
    version = CompactVersion.objects.create(
        compact=compact,
        number=(latest.number + 1) if latest else 1,
        renew_after_days=latest.renew_after_days if latest else None,
        change_note=change_note,
        created_by=by,
    )
    if latest is not None:
        Clause.objects.bulk_create(
            Clause(version=version, number=c.number, kind=c.kind, text=c.text)
            for c in latest.clauses.all()
        )
    _version_event(version, by, "", CompactVersion.Status.DRAFT, _("new version"))
    return version


# --- pledges -------------------------------------------------------------------------------


def _check_signable(*, household: Household, version: CompactVersion) -> None:
    if version.status == CompactVersion.Status.DRAFT:
        raise errors.VersionNotSignable(_("This compact version is a draft: it cannot be signed."))
    if version.status == CompactVersion.Status.SUPERSEDED:
        raise errors.VersionNotSignable(
            _("This compact version has been replaced: sign the version in force.")
        )
    covers = CompactVersion.objects.filter(
        compact_covers_village_q(household.village), pk=version.pk
    ).exists()
    if not covers:
        raise errors.WrongVillage()
    in_force = compact_in_force(village=household.village)
    if in_force is None or in_force.pk != version.pk:
        raise errors.VersionNotSignable()


def _pledge_event(pledge: Pledge, by: User | None, frm: str, to: str, note: str = "") -> None:
    PledgeEvent.objects.create(pledge=pledge, by=by, from_status=frm, to_status=to, note=note)


def _create_pledge(
    *,
    household: Household,
    version: CompactVersion,
    method: str,
    signed_at: dt.datetime,
    signatory: str,
    witness: str = "",
    scan: ContentFile | None = None,
    signed_by: User | None = None,
    recorded_by: User | None = None,
    by: User,
) -> Pledge:
    """Create the pledge; an active pledge of the same household on an older version of
    the same compact is marked renewed and linked (history kept)."""
    # Lock the household row: two clicks on "sign" must produce one pledge, and the second
    # must see the first and get a clear error rather than an IntegrityError.
    Household.objects.select_for_update().get(pk=household.pk)
    active = list(
        Pledge.objects.select_for_update()
        .filter(household=household, status=Pledge.Status.ACTIVE)
        .select_related("version")
    )
    if any(p.version_id == version.pk for p in active):
        raise errors.AlreadySigned()
    previous = next((p for p in active if p.version.compact_id == version.compact_id), None)
    pledge = Pledge(
        household=household,
        version=version,
        method=method,
        signed_at=signed_at,
        signatory_name=(signatory or "").strip(),
        witness_name=(witness or "").strip(),
        signed_by=signed_by,
        recorded_by=recorded_by,
        previous=previous,
    )
    if not pledge.signatory_name:
        raise errors.BadInput(_("Enter the name of the person who signed."))
    _full_clean(pledge, exclude=["scan", "previous"])
    now = _now()
    if previous is not None:
        previous.status = Pledge.Status.RENEWED
        previous.ended_at = now
        previous.save(update_fields=["status", "ended_at"])
        _pledge_event(
            previous,
            by,
            Pledge.Status.ACTIVE,
            Pledge.Status.RENEWED,
            _("renewed on version %(number)s") % {"number": version.number},
        )
    try:
        with transaction.atomic():
            if scan is not None:
                pledge.scan.save(scan.name, scan, save=False)
            pledge.save()
    except IntegrityError as exc:  # the partial unique index: a concurrent double submit
        raise errors.AlreadySigned() from exc
    _pledge_event(pledge, by, "", Pledge.Status.ACTIVE, method)
    ledger_changed_in([_household_district_id(household)])
    return pledge


@transaction.atomic
def pledge_sign_online(
    *, household: Household, version: CompactVersion, by: User, confirm: bool
) -> Pledge:
    """A villager signs the compact in force for their own household, after explicitly
    confirming they have read it."""
    if not (by.is_authenticated and by.is_villager and by.household_id == household.pk):
        raise errors.NotAllowed(_("You can only sign for your own household."))
    if not confirm:
        raise errors.ConfirmationRequired()
    _check_signable(household=household, version=version)
    return _create_pledge(
        household=household,
        version=version,
        method=Pledge.Method.ONLINE,
        signed_at=_now(),
        signatory=by.display_name or household.head_name,
        signed_by=by,
        by=by,
    )


def reencode_scan(upload: File | bytes | ProcessedImage) -> ContentFile:
    """The scan as a file to store: already processed by the form or serializer, or
    processed now (`pledges.scans`, the project's one image intake)."""
    image = upload if isinstance(upload, ProcessedImage) else scans.process(upload)
    return scans.as_file(image)


@transaction.atomic
def pledge_record_paper(
    *,
    household: Household,
    version: CompactVersion,
    signatory: str,
    witness: str,
    signed_on: dt.date,
    scan: File | bytes | None = None,
    by: User,
) -> Pledge:
    """Staff or the grid manager record a signing on paper, with the sheet's photo."""
    _require_district(by, _household_district_id(household))
    if signed_on > _today():
        raise errors.BadInput(_("The signing date is in the future."))
    if not (witness or "").strip():
        raise errors.BadInput(_("Enter the witness of the paper signing."))
    _check_signable(household=household, version=version)
    content = reencode_scan(scan) if scan is not None else None
    return _create_pledge(
        household=household,
        version=version,
        method=Pledge.Method.PAPER,
        signed_at=_date_to_datetime(signed_on),
        signatory=signatory,
        witness=witness,
        scan=content,
        recorded_by=by,
        by=by,
    )


def _date_to_datetime(day: dt.date) -> dt.datetime:
    # Paper sheets carry a date only: noon local time keeps the date stable in any zone.
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def _may_act_for_household(user: User, household: Household) -> bool:
    if user.is_authenticated and user.is_villager:
        return user.household_id == household.pk
    return can_act_in_district(user, _household_district_id(household))


@transaction.atomic
def pledge_withdraw(*, pledge: Pledge, by: User, note: str = "") -> Pledge:
    """Withdraw an active pledge (the household's own decision, or recorded by staff)."""
    if not _may_act_for_household(by, pledge.household):
        raise errors.NotAllowed()
    updated = Pledge.objects.filter(pk=pledge.pk, status=Pledge.Status.ACTIVE).update(
        status=Pledge.Status.WITHDRAWN, ended_at=_now()
    )
    if updated != 1:
        raise errors.InvalidTransition(_("Only an active pledge can be withdrawn."))
    _pledge_event(pledge, by, Pledge.Status.ACTIVE, Pledge.Status.WITHDRAWN, note)
    ledger_changed_in([_household_district_id(pledge.household)])
    pledge.refresh_from_db()
    return pledge


@transaction.atomic
def pledge_renew(
    *,
    pledge: Pledge,
    version: CompactVersion,
    by: User,
    confirm: bool = False,
    signatory: str = "",
    witness: str = "",
    signed_on: dt.date | None = None,
    scan: File | bytes | None = None,
) -> Pledge:
    """Renew an active pledge on a newer version (or re-sign the same compact when the
    renewal period has passed): online by the villager, on paper by staff."""
    if pledge.status != Pledge.Status.ACTIVE:
        raise errors.InvalidTransition(_("Only an active pledge can be renewed."))
    if version.compact_id != pledge.version.compact_id:
        raise errors.InvalidTransition(_("A pledge is renewed on a version of the same compact."))
    household = pledge.household
    if version.pk == pledge.version_id:
        # Same version, period elapsed: the old row is closed and a new one opened.
        if by.is_villager:
            if by.household_id != household.pk:
                raise errors.NotAllowed(_("You can only sign for your own household."))
            if not confirm:
                raise errors.ConfirmationRequired()
        else:
            _require_district(by, _household_district_id(household))
        _check_signable(household=household, version=version)
        locked = Pledge.objects.filter(pk=pledge.pk, status=Pledge.Status.ACTIVE).update(
            status=Pledge.Status.RENEWED, ended_at=_now()
        )
        if locked != 1:
            raise errors.InvalidTransition(_("Only an active pledge can be renewed."))
        _pledge_event(pledge, by, Pledge.Status.ACTIVE, Pledge.Status.RENEWED, _("renewed"))
        return _renew_same_version(
            pledge=pledge,
            by=by,
            signatory=signatory,
            witness=witness,
            signed_on=signed_on,
            scan=scan,
        )
    if by.is_villager:
        return pledge_sign_online(household=household, version=version, by=by, confirm=confirm)
    return pledge_record_paper(
        household=household,
        version=version,
        signatory=signatory,
        witness=witness,
        signed_on=signed_on or _today(),
        scan=scan,
        by=by,
    )


def _renew_same_version(*, pledge: Pledge, by: User, signatory, witness, signed_on, scan):
    household = pledge.household
    if by.is_villager:
        new = Pledge(
            household=household,
            version=pledge.version,
            method=Pledge.Method.ONLINE,
            signed_at=_now(),
            signatory_name=by.display_name or household.head_name,
            signed_by=by,
            previous=pledge,
        )
    else:
        if not (witness or "").strip() or not (signatory or "").strip():
            raise errors.BadInput(_("Enter the signatory and the witness."))
        new = Pledge(
            household=household,
            version=pledge.version,
            method=Pledge.Method.PAPER,
            signed_at=_date_to_datetime(signed_on or _today()),
            signatory_name=signatory.strip(),
            witness_name=witness.strip(),
            recorded_by=by,
            previous=pledge,
        )
        if scan is not None:
            content = reencode_scan(scan)
            new.scan.save(content.name, content, save=False)
    new.save()
    _pledge_event(new, by, "", Pledge.Status.ACTIVE, new.method)
    ledger_changed_in([_household_district_id(household)])
    return new


# --- responsibility ----------------------------------------------------------------------


def _assignment_event(
    assignment: Assignment, by: User | None, action: str, frm: str = "", to: str = "", note=""
) -> None:
    AssignmentEvent.objects.create(
        assignment=assignment, by=by, action=action, from_state=frm, to_state=to, note=note
    )


def _person_fields(*, user: User | None, person_name: str, person_phone: str) -> dict[str, Any]:
    person_name = (person_name or "").strip()
    person_phone = (person_phone or "").strip()
    if user is None and not person_name:
        raise errors.BadInput(_("Choose a person: an account, or a name and phone number."))
    if user is not None and not user.is_active:
        raise errors.BadInput(_("This account is disabled."))
    return {"user": user, "person_name": person_name, "person_phone": person_phone}


def _check_person_in_station(user: User | None, station_id: int) -> None:
    """The responsible person belongs to the grid's station: its staff, or a villager of
    one of its households (a leader or another station's staff cannot hold a line)."""
    if user is None:
        return
    if user.is_villager:
        ok = Household.objects.filter(pk=user.household_id, village__station_id=station_id)
        if ok.exists():
            return
    elif user.role in (user.Role.GRID_MANAGER, user.Role.STAFF, user.Role.ADMIN) and (
        user.station_id in (None, station_id)
    ):
        return
    raise errors.BadInput(_("This person does not belong to the station of this line."))


def _check_dates(valid_from: dt.date, valid_until: dt.date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise errors.BadInput(_("The end date is before the start date."))


@transaction.atomic
def assign_segments(
    *,
    segments: Iterable[Segment],
    user: User | None = None,
    person_name: str = "",
    person_phone: str = "",
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    is_primary: bool = True,
    replace: bool = False,
    note: str = "",
    by: User,
) -> list[Assignment]:
    """我包段: give one or more segments to a person (account or named line guard).

    With `replace`, a current open-ended primary responsible is ended the day before (or
    struck out if it starts the same day); otherwise an overlap is refused.
    """
    segments = list(segments)
    if not segments:
        raise errors.BadInput(_("Select at least one line segment."))
    valid_from = valid_from or _today()
    _check_dates(valid_from, valid_until)
    person = _person_fields(user=user, person_name=person_name, person_phone=person_phone)
    for district_id in {s.district_id for s in segments}:
        _require_district(by, district_id)
    for station_id in set(
        District.objects.filter(pk__in={s.district_id for s in segments}).values_list(
            "station_id", flat=True
        )
    ):
        _check_person_in_station(user, station_id)
    # Lock the segments (in id order, to avoid deadlocks between two assigners).
    ids = sorted(s.pk for s in segments)
    locked = {s.pk: s for s in Segment.objects.select_for_update().filter(pk__in=ids)}
    created = []
    for segment_id in ids:
        segment = locked[segment_id]
        if is_primary:
            clashes = Assignment.objects.filter(
                scope=Assignment.Scope.SEGMENT,
                segment=segment,
                is_primary=True,
                cancelled_at__isnull=True,
            ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
            if valid_until is not None:
                clashes = clashes.filter(valid_from__lte=valid_until)
            for clash in clashes:
                if replace and clash.valid_until is None:
                    _end_or_cancel(clash, before=valid_from, by=by, note=note)
                else:
                    raise errors.AssignmentConflict(
                        _(
                            "Segment %(code)s already has a primary responsible "
                            "(%(person)s) from %(start)s."
                        )
                        % {
                            "code": segment.code,
                            "person": clash.person_label,
                            "start": clash.valid_from.isoformat(),
                        }
                    )
        assignment = Assignment(
            scope=Assignment.Scope.SEGMENT,
            segment=segment,
            district_id=segment.district_id,
            valid_from=valid_from,
            valid_until=valid_until,
            is_primary=is_primary,
            note=note,
            created_by=by,
            **person,
        )
        _full_clean(assignment)
        try:
            with transaction.atomic():
                assignment.save()
        except IntegrityError as exc:  # the exclusion constraint, under a race
            raise errors.AssignmentConflict() from exc
        _assignment_event(assignment, by, "assigned", note=note)
        created.append(assignment)
    ledger_changed_in((a.district_id for a in created), Assignment)
    return created


def _end_or_cancel(assignment: Assignment, *, before: dt.date, by: User, note: str) -> None:
    last_day = before - dt.timedelta(days=1)
    if last_day < assignment.valid_from:
        assignment.cancelled_at = _now()
        assignment.save(update_fields=["cancelled_at"])
        _assignment_event(assignment, by, "cancelled", note=note or _("replaced"))
    else:
        assignment.valid_until = last_day
        assignment.save(update_fields=["valid_until"])
        _assignment_event(assignment, by, "ended", to=last_day.isoformat(), note=note)


def _as_polygon(polygon: Polygon | str | dict) -> Polygon:
    try:
        if isinstance(polygon, dict):
            import json

            polygon = GEOSGeometry(json.dumps(polygon), srid=4326)
        elif isinstance(polygon, str):
            polygon = GEOSGeometry(polygon, srid=4326)
    except (ValueError, TypeError) as exc:
        raise errors.BadGeometry() from exc
    except Exception as exc:  # GEOS/GDAL raise their own exception types for bad text
        raise errors.BadGeometry() from exc
    if not isinstance(polygon, Polygon) or polygon.empty:
        raise errors.BadGeometry()
    if polygon.srid is None:
        polygon.srid = 4326
    xmin, ymin, xmax, ymax = polygon.extent
    if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        raise errors.BadGeometry(_("A coordinate of the drawn area is impossible."))
    if not polygon.valid:
        raise errors.BadGeometry(_("The drawn area crosses itself; draw it again."))
    return polygon


@transaction.atomic
def assign_patch(
    *,
    polygon: Polygon | str | dict,
    user: User | None = None,
    person_name: str = "",
    person_phone: str = "",
    district: District | None = None,
    village: Village | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    note: str = "",
    by: User,
) -> Assignment:
    """你包片: an area (usually part of a village) given to a staff member or village cadre.

    The district, unless given, is the one in the user's scope that the patch overlaps most.
    """
    polygon = _as_polygon(polygon)
    valid_from = valid_from or _today()
    _check_dates(valid_from, valid_until)
    person = _person_fields(user=user, person_name=person_name, person_phone=person_phone)
    if district is None:
        from django.contrib.gis.db.models.functions import Area, Intersection

        district = (
            districts_for(by)
            .filter(boundary__intersects=polygon)
            .annotate(overlap=Area(Intersection("boundary", polygon)))
            .order_by("-overlap")
            .first()
        )
        if district is None:
            raise errors.BadGeometry(_("The drawn area is outside your service grids."))
    elif not district.boundary.intersects(polygon):
        raise errors.BadGeometry(_("The drawn area is outside the chosen service grid."))
    _require_district(by, district.pk)
    _check_person_in_station(user, district.station_id)
    assignment = Assignment(
        scope=Assignment.Scope.PATCH,
        patch=polygon,
        district=district,
        village=village,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note,
        created_by=by,
        **person,
    )
    _full_clean(assignment)
    assignment.save()
    _assignment_event(assignment, by, "assigned", note=note)
    return assignment


@transaction.atomic
def end_assignment(
    *, assignment: Assignment, by: User, until: dt.date | None = None, note: str = ""
) -> Assignment:
    """End a responsibility on a date (default today, the last day); the row stays as
    history. Ending before it began strikes it out instead."""
    _require_district(by, assignment.district_id)
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.cancelled_at is not None:
        raise errors.InvalidTransition(_("This assignment was already struck out."))
    until = until or _today()
    if assignment.valid_until is not None and assignment.valid_until <= until:
        raise errors.InvalidTransition(_("This assignment has already ended."))
    if until < assignment.valid_from:
        assignment.cancelled_at = _now()
        assignment.save(update_fields=["cancelled_at"])
        _assignment_event(assignment, by, "cancelled", note=note)
        return assignment
    frm = assignment.valid_until.isoformat() if assignment.valid_until else ""
    assignment.valid_until = until
    assignment.save(update_fields=["valid_until"])
    _assignment_event(assignment, by, "ended", frm=frm, to=until.isoformat(), note=note)
    ledger_changed_in([assignment.district_id], Assignment)
    return assignment


# --- front doors ---------------------------------------------------------------------------


def front_door_max_distance_m() -> float:
    return float(getattr(settings, "PLEDGES_FRONT_DOOR_MAX_DISTANCE_M", 100.0))


# For each household, its nearest segment within N metres (LATERAL + KNN on the geography
# GiST index: the cast must carry the index's typmod, geography(LineString, 4326), or
# PostgreSQL scans every segment per household: 25x slower when measured), upserted as a
# *proposed* front door. Confirmed or adjusted front doors are never touched, and the
# partial unique index on open front doors makes a re-run idempotent.
_DERIVE_SQL = """
WITH nearest AS (
    SELECT h.id AS household_id, h.village_id, ta.district_id, s.id AS segment_id,
           ST_Distance(h.location::geography, s.geom::geography(LineString, 4326)) AS distance_m
    FROM grid_household h
    JOIN grid_transformerarea ta ON ta.id = h.transformer_area_id
    CROSS JOIN LATERAL (
        SELECT s.id, s.geom FROM grid_segment s
        WHERE ST_DWithin(s.geom::geography(LineString, 4326), h.location::geography, %(max_m)s)
        ORDER BY s.geom::geography(LineString, 4326) <-> h.location::geography, s.id
        LIMIT 1
    ) s
    WHERE h.id = ANY(%(household_ids)s)
), up AS (
    INSERT INTO pledges_assignment AS a (
        scope, district_id, village_id, household_id, segment_id, distance_m,
        front_door_state, valid_from, is_primary, person_name, person_phone, note,
        created_at, created_by_id
    )
    SELECT 'front_door', n.district_id, n.village_id, n.household_id, n.segment_id,
           round(n.distance_m::numeric, 2)::float8, 'proposed', %(today)s, true, '', '', '',
           %(now)s, %(by)s
    FROM nearest n
    ON CONFLICT (household_id)
        WHERE scope = 'front_door' AND valid_until IS NULL AND cancelled_at IS NULL
    DO UPDATE SET segment_id = EXCLUDED.segment_id, distance_m = EXCLUDED.distance_m
        WHERE a.front_door_state = 'proposed'
          AND (a.segment_id IS DISTINCT FROM EXCLUDED.segment_id
               OR a.distance_m IS DISTINCT FROM EXCLUDED.distance_m)
    RETURNING a.id, (xmax = 0) AS inserted
), ev AS (
    INSERT INTO pledges_assignmentevent (assignment_id, at, by_id, action, from_state,
                                         to_state, note)
    SELECT up.id, %(now)s, %(by)s,
           CASE WHEN up.inserted THEN 'derived' ELSE 're-derived' END, '', 'proposed', ''
    FROM up
    RETURNING 1
)
SELECT (SELECT count(*) FROM nearest),
       (SELECT count(*) FROM up WHERE inserted),
       (SELECT count(*) FROM up WHERE NOT inserted),
       (SELECT count(*) FROM ev)
"""


@dataclass
class DeriveCounts:
    households: int = 0
    with_segment: int = 0
    proposed: int = 0
    updated: int = 0
    too_far: int = 0

    def add(self, other: DeriveCounts) -> DeriveCounts:
        for field in ("households", "with_segment", "proposed", "updated", "too_far"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        return self

    def as_dict(self) -> dict[str, int]:
        return {
            "households": self.households,
            "with_segment": self.with_segment,
            "proposed": self.proposed,
            "updated": self.updated,
            "too_far": self.too_far,
        }


def front_door_household_ids(*, village: Village, by: User) -> list[int]:
    """The village's active households the user may act on, in id order (batches)."""
    if not by.is_authenticated or by.role in (by.Role.LEADER, by.Role.VILLAGER):
        return []  # the same rule as scopes.can_act_in_district, for many districts at once
    return list(
        Household.objects.filter(
            village=village,
            is_active=True,
            transformer_area__district__in=districts_for(by),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def derive_front_doors(
    *,
    village: Village,
    by: User,
    max_distance_m: float | None = None,
    household_ids: Sequence[int] | None = None,
) -> DeriveCounts:
    """家家户户包门前: propose each household's front door, the nearest segment within
    `max_distance_m` (PLEDGES_FRONT_DOOR_MAX_DISTANCE_M by default), in one SQL statement.

    Only households in districts where `by` may act; `household_ids` narrows to a batch
    (the Celery task's progress). Returns counts; re-running changes nothing unless the
    lines moved.
    """
    allowed = front_door_household_ids(village=village, by=by)
    if not allowed:
        raise errors.NotAllowed(_("You may not assign front doors in this village."))
    if household_ids is not None:
        wanted = set(household_ids)
        allowed = [pk for pk in allowed if pk in wanted]
    max_m = max_distance_m if max_distance_m is not None else front_door_max_distance_m()
    if not 0 < max_m <= 1000:
        raise errors.BadInput(_("The search distance must be between 0 and 1000 metres."))
    if not allowed:
        return DeriveCounts()
    with connection.cursor() as cur:
        cur.execute(
            _DERIVE_SQL,
            {
                "max_m": float(max_m),
                "household_ids": allowed,
                "today": _today(),
                "now": _now(),
                "by": by.pk,
            },
        )
        with_segment, proposed, updated, _events = cur.fetchone()
    return DeriveCounts(
        households=len(allowed),
        with_segment=with_segment,
        proposed=proposed,
        updated=updated,
        too_far=len(allowed) - with_segment,
    )


def _lock_front_door(assignment: Assignment, by: User) -> Assignment:
    _require_district(by, assignment.district_id)
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.scope != Assignment.Scope.FRONT_DOOR:
        raise errors.InvalidTransition(_("This is not a front-door assignment."))
    if locked.cancelled_at is not None or (
        locked.valid_until is not None and locked.valid_until < _today()
    ):
        raise errors.InvalidTransition(_("This front door is no longer in force."))
    return locked


@transaction.atomic
def confirm_front_door(*, assignment: Assignment, by: User, note: str = "") -> Assignment:
    """Staff confirm a proposed front door after checking it on the map or on site."""
    assignment = _lock_front_door(assignment, by)
    if assignment.front_door_state != Assignment.FrontDoorState.PROPOSED:
        raise errors.InvalidTransition(_("Only a proposed front door can be confirmed."))
    assignment.front_door_state = Assignment.FrontDoorState.CONFIRMED
    assignment.save(update_fields=["front_door_state"])
    _assignment_event(
        assignment,
        by,
        "confirmed",
        Assignment.FrontDoorState.PROPOSED,
        Assignment.FrontDoorState.CONFIRMED,
        note,
    )
    ledger_changed_in([assignment.district_id], Assignment)
    return assignment


@transaction.atomic
def adjust_front_door(
    *, assignment: Assignment, segment: Segment, by: User, note: str = ""
) -> Assignment:
    """Staff move a household's front door to another segment (distance recomputed)."""
    assignment = _lock_front_door(assignment, by)
    _require_district(by, segment.district_id)
    household = assignment.household
    distance = (
        Segment.objects.filter(pk=segment.pk)
        .annotate(d=distance_m("geom", models.LineStringField, household.location))
        .values_list("d", flat=True)
        .get()
    )
    frm_state = assignment.front_door_state
    frm_segment = assignment.segment.code
    assignment.segment = segment
    assignment.distance_m = round(distance.m, 2)
    assignment.front_door_state = Assignment.FrontDoorState.ADJUSTED
    assignment.save(update_fields=["segment", "distance_m", "front_door_state"])
    _assignment_event(
        assignment,
        by,
        "adjusted",
        frm_state,
        Assignment.FrontDoorState.ADJUSTED,
        note or f"{frm_segment} → {segment.code}",
    )
    ledger_changed_in([assignment.district_id], Assignment)
    return assignment


# --- household visits ----------------------------------------------------------------------

# A visit written down weeks later is still a visit; one dated a year back is a typo.
VISIT_MAX_AGE_DAYS = 92


def visit_record(
    *,
    household: Household,
    by: User,
    outcome: str,
    visited_on: dt.date | None = None,
    note: str = "",
) -> HouseholdVisit:
    """Record a grid manager's or staff member's visit to a household of their grid."""
    if not (by.is_authenticated and (by.is_grid_manager or by.is_station_staff)):
        raise errors.NotAllowed(_("Only grid managers and station staff record visits."))
    _require_district(by, _household_district_id(household))
    if not household.is_active:
        raise errors.BadInput(_("This household is no longer active."))
    visited_on = visited_on or _today()
    if visited_on > _today():
        raise errors.BadInput(_("A visit cannot be dated in the future."))
    if visited_on < _today() - dt.timedelta(days=VISIT_MAX_AGE_DAYS):
        raise errors.BadInput(
            _("A visit more than %(days)s days ago cannot be recorded."),
            days=VISIT_MAX_AGE_DAYS,
        )
    if outcome not in HouseholdVisit.Outcome.values:
        raise errors.BadInput(_("Choose what came of the visit."))
    visit = HouseholdVisit(
        household=household, visited_by=by, visited_on=visited_on, outcome=outcome,
        note=note.strip(),
    )  # fmt: skip
    _full_clean(visit, exclude=["household", "visited_by"])
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError as exc:
        raise errors.AlreadyVisited() from exc
    ledger_changed_in([_household_district_id(household)], HouseholdVisit)
    return visit
