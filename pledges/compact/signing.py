"""Signing the compact: a household's pledge, online or on paper, its renewal and its
withdrawal. Keyword-only, atomic, an immutable event row per state change; the statistics
hear of it through `ledger_changed`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from houhu.accounts.scopes import can_act_in_district
from houhu.grid.models import Household
from houhu.lib.images import ProcessedImage

from .. import errors
from ..common import (
    full_clean,
    household_district_id,
    ledger_changed_in,
    now,
    require_district,
    today,
)
from . import scans
from .models import CompactVersion, Pledge, PledgeEvent
from .selectors import compact_covers_village_q, compact_in_force

if TYPE_CHECKING:
    from django.core.files import File

    from houhu.accounts.models import User


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
    full_clean(pledge, exclude=["scan", "previous"])
    at = now()
    if previous is not None:
        previous.status = Pledge.Status.RENEWED
        previous.ended_at = at
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
    ledger_changed_in([household_district_id(household)])
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
        signed_at=now(),
        signatory=by.display_name or household.head_name,
        signed_by=by,
        by=by,
    )


def reencode_scan(upload: File | bytes | ProcessedImage) -> ContentFile:
    """The scan as a file to store: already processed by the form or serializer, or
    processed now (`pledges.compact.scans`, the project's one image intake)."""
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
    require_district(by, household_district_id(household))
    if signed_on > today():
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
    return can_act_in_district(user, household_district_id(household))


@transaction.atomic
def pledge_withdraw(*, pledge: Pledge, by: User, note: str = "") -> Pledge:
    """Withdraw an active pledge (the household's own decision, or recorded by staff)."""
    if not _may_act_for_household(by, pledge.household):
        raise errors.NotAllowed()
    updated = Pledge.objects.filter(pk=pledge.pk, status=Pledge.Status.ACTIVE).update(
        status=Pledge.Status.WITHDRAWN, ended_at=now()
    )
    if updated != 1:
        raise errors.InvalidTransition(_("Only an active pledge can be withdrawn."))
    _pledge_event(pledge, by, Pledge.Status.ACTIVE, Pledge.Status.WITHDRAWN, note)
    ledger_changed_in([household_district_id(pledge.household)])
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
            require_district(by, household_district_id(household))
        _check_signable(household=household, version=version)
        locked = Pledge.objects.filter(pk=pledge.pk, status=Pledge.Status.ACTIVE).update(
            status=Pledge.Status.RENEWED, ended_at=now()
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
        signed_on=signed_on or today(),
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
            signed_at=now(),
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
            signed_at=_date_to_datetime(signed_on or today()),
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
    ledger_changed_in([household_district_id(household)])
    return new
