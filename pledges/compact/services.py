"""Writes of the compact: a new compact, its draft versions and clauses, publishing.

Each service is keyword-only, runs in one transaction, validates with `full_clean()`, raises
a translated domain error (`pledges.errors`) for a broken rule (nothing is changed then),
and appends an immutable event row per state change. Who may act is decided by
`houhu.accounts.scopes`. Pledges are signed in `signing.py`, visits recorded in `visits.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from houhu.accounts import scopes
from houhu.accounts.scopes import Can
from houhu.grid.models import District, Station, Village

from .. import errors
from ..common import (
    full_clean,
    now,
)
from .models import Clause, Compact, CompactVersion, CompactVersionEvent

if TYPE_CHECKING:
    from houhu.accounts.models import User


def _require_station_staff(user: User, station: Station | int) -> None:
    """Compacts are the station's: its staff (or an admin) write them."""
    station_id = station if isinstance(station, int) else station.pk
    if not scopes.can(user, Can.EDIT_COMPACTS):
        raise errors.NotAllowed(_("Only station staff may write or publish the compact."))
    if not scopes.can_edit_compacts_of(user, station_id):
        raise errors.NotAllowed(_("This compact belongs to another station."))


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
    full_clean(compact)
    compact.save()
    version = CompactVersion(
        compact=compact,
        number=1,
        effective_from=effective_from,
        renew_after_days=renew_after_days,
        created_by=by,
    )
    full_clean(version, exclude=["compact"])
    version.save()
    _version_event(version, by, "", CompactVersion.Status.DRAFT, _("created"))
    for n, c in enumerate(clauses, start=1):
        data = c if isinstance(c, dict) else {"kind": c.kind, "text": c.text}
        clause = Clause(version=version, number=n, kind=data["kind"], text=data["text"].strip())
        full_clean(clause, exclude=["version"])
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
    full_clean(version)
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
    full_clean(clause)
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
    full_clean(clause)
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
    at = now()
    previous = (
        CompactVersion.objects.select_for_update()
        .filter(compact_id=version.compact_id, status=CompactVersion.Status.PUBLISHED)
        .first()
    )
    if previous is not None:
        if previous.number > version.number:
            raise errors.InvalidTransition(_("A newer version is already in force."))
        previous.status = CompactVersion.Status.SUPERSEDED
        previous.superseded_at = at
        previous.save(update_fields=["status", "superseded_at"])
        _version_event(
            previous,
            by,
            CompactVersion.Status.PUBLISHED,
            CompactVersion.Status.SUPERSEDED,
            _("superseded by version %(number)s") % {"number": version.number},
        )
    version.status = CompactVersion.Status.PUBLISHED
    version.published_at = at
    version.published_by = by
    full_clean(version)
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
