"""Signing the compact: ONE service signs a pledge, for every entry point.

The villager's page, the paper form, the API and the CSV import each turn their request
into `Signing` values (validated once, at their boundary) and call `sign` (one signing) or
`sign_all` (the CSV import: every row or none). Both check the same `RULES`, in order, and
write through the same code. A renewal is a signing too: the household's active pledge on
the same compact is closed as renewed and linked, whether the new pledge is on a newer
version or, once the renewal period has passed, on the same one.

Withdrawal (`pledge_withdraw`) ends a pledge; it is the household's decision, recorded by
themselves or by staff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from houhu.accounts import scopes
from houhu.accounts.scopes import Access, Can
from houhu.grid.models import Household
from houhu.lib.errors import DomainError
from houhu.lib.images import ProcessedImage

from .. import errors
from ..common import household_district_id, ledger_changed_in, now, today
from . import scans
from .models import CompactVersion, Pledge, PledgeEvent
from .selectors import compact_covers_village_q, compact_in_force, due_pledges

if TYPE_CHECKING:
    from houhu.accounts.models import User

ONLINE, PAPER = Pledge.Method.ONLINE, Pledge.Method.PAPER


@dataclass(frozen=True)
class Signing:
    """One signing, as its entry point typed it.

    `version` None means the version in force for the household's village (the CSV
    import); `signed_on` is the date written on a paper sheet (online: today); `confirm`
    is the villager's explicit "I have read it"; `scan` the sheet's photo, already through
    the image intake (compact/scans.py)."""

    household: Household
    method: str
    version: CompactVersion | None = None
    signatory: str = ""
    witness: str = ""
    signed_on: dt.date | None = None
    confirm: bool = False
    scan: ProcessedImage | None = None


@dataclass
class Facts:
    """What the rules read about one signing, loaded for the whole batch at once."""

    signing: Signing
    by: User
    today: dt.date
    access: Access  # houhu.accounts.scopes: may `by` act for this household?
    version: CompactVersion | None  # the version signed (given, or in force)
    in_force: CompactVersion | None  # the version in force for the household's village
    covers: bool  # the version's compact applies to the household's village
    active: list[Pledge]  # the household's active pledges
    due: set[int]  # which of them are due for renewal

    @property
    def signed_on(self) -> dt.date | None:
        return self.today if self.signing.method == ONLINE else self.signing.signed_on

    @property
    def same_version(self) -> Pledge | None:
        v = self.version
        return next((p for p in self.active if v and p.version_id == v.pk), None)

    @property
    def previous(self) -> Pledge | None:
        """The active pledge this signing renews: the same compact's."""
        v = self.version
        return next((p for p in self.active if v and p.version.compact_id == v.compact_id), None)


BOTH = frozenset({ONLINE, PAPER})


@dataclass(frozen=True)
class Rule:
    """One rule of signing: `broken(facts)` says why it refuses, or None. `methods` are the
    signings it applies to; a broken `gate` stops the check (the later rules read what it
    guards, or are none of this user's business)."""

    name: str
    broken: Callable[[Facts], DomainError | None]
    methods: frozenset[str] = BOTH
    gate: bool = False


def _who(f: Facts) -> DomainError | None:
    if f.signing.method == ONLINE:
        # Online: a villager, for their own household only.
        if not (f.access.write and scopes.can(f.by, Can.SIGN_FOR_HOUSEHOLD)):
            return errors.NotAllowed(_("You can only sign for your own household."))
    elif not (f.access.write and scopes.can(f.by, Can.ACT_IN_DISTRICTS)):
        # Paper: staff or the grid manager of the household's grid.
        return errors.NotAllowed(_("This household is outside your service grids."))
    return None


def _version(f: Facts) -> DomainError | None:
    v = f.version
    if v is None:
        return errors.VersionNotSignable(_("No compact is in force for this household's village."))
    if v.status == CompactVersion.Status.DRAFT:
        return errors.VersionNotSignable(_("This compact version is a draft: it cannot be signed."))
    if v.status == CompactVersion.Status.SUPERSEDED:
        return errors.VersionNotSignable(
            _("This compact version has been replaced: sign the version in force.")
        )
    if not f.covers:
        return errors.WrongVillage()
    if f.in_force is None or f.in_force.pk != v.pk:
        return errors.VersionNotSignable()
    return None


def _dates(f: Facts) -> DomainError | None:
    day = f.signed_on
    if day is None:  # an undated paper signing: refused by the rule before
        return None
    if day > f.today:
        return errors.BadInput(_("The signing date is in the future."), field="signed_on")
    if f.version is not None and f.version.effective_from and day < f.version.effective_from:
        return errors.BadInput(
            _("The signing date is before the compact took effect (%(date)s)."),
            field="signed_on",
            date=f.version.effective_from.isoformat(),
        )
    return None


def _not_signed_yet(f: Facts) -> DomainError | None:
    same = f.same_version
    if same is not None and same.pk not in f.due:
        return errors.AlreadySigned()
    return None


# Checked in this order; the first broken rule is the answer of `sign`, and the CSV import
# reports every broken rule of every row.
RULES: tuple[Rule, ...] = (
    Rule("who may sign", _who, gate=True),
    Rule(
        "the villager confirms having read it",
        lambda f: None if f.signing.confirm else errors.ConfirmationRequired(),
        frozenset({ONLINE}),
    ),
    Rule(
        "the household is an active customer",
        lambda f: (
            None
            if f.signing.household.is_active
            else errors.BadInput(_("This household is no longer an active customer."))
        ),
    ),
    Rule("the version in force for the household's village", _version),
    Rule(
        "a paper signing carries the date written on the sheet",
        lambda f: (
            None
            if f.signing.signed_on is not None
            else errors.BadInput(_("Give the date written on the signed sheet."), field="signed_on")
        ),
        frozenset({PAPER}),
    ),
    Rule("signed on a date between the compact taking effect and today", _dates),
    Rule(
        "a paper signing has a witness",
        lambda f: (
            None
            if f.signing.witness.strip()
            else errors.BadInput(_("Enter the witness of the paper signing."), field="witness")
        ),
        frozenset({PAPER}),
    ),
    Rule(
        "a paper signing names its signatory",
        lambda f: (
            None
            if f.signing.signatory.strip()
            else errors.BadInput(_("Enter the name of the person who signed."), field="signatory")
        ),
        frozenset({PAPER}),
    ),
    # An active pledge on this very version is renewed only once it is due.
    Rule("not signed already (unless due for renewal)", _not_signed_yet),
)


def refusals(facts: Facts) -> list[DomainError]:
    found = []
    for rule in RULES:
        if facts.signing.method in rule.methods and (error := rule.broken(facts)) is not None:
            found.append(error)
            if rule.gate:
                break
    return found


# --- loading the facts of a batch -------------------------------------------------------


def _facts(signings: Sequence[Signing], by: User) -> list[Facts]:
    """Lock the households (in id order: two batches cannot deadlock) and load what the
    rules read, a handful of queries whatever the number of signings. Locked, a second
    click on "sign" waits for the first and then sees its pledge."""
    ids = sorted({s.household.pk for s in signings})
    households = {
        h.pk: h
        for h in Household.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("village", "transformer_area")
        .order_by("pk")
    }
    access = scopes.household_accesses(by, households.values())
    active: dict[int, list[Pledge]] = {}
    for p in (
        Pledge.objects.select_for_update(of=("self",))
        .filter(household__in=ids, status=Pledge.Status.ACTIVE)
        .select_related("version")
        .order_by("pk")
    ):
        active.setdefault(p.household_id, []).append(p)
    all_active = [p.pk for ps in active.values() for p in ps]
    day = today()
    due = set(due_pledges(day).filter(pk__in=all_active).values_list("pk", flat=True))
    in_force: dict[int, CompactVersion | None] = {}
    covers: dict[tuple[int, int], bool] = {}
    out = []
    for s in signings:
        h = households[s.household.pk]
        if h.village_id not in in_force:
            in_force[h.village_id] = compact_in_force(village=h.village, on=day)
        version = s.version or in_force[h.village_id]
        key = (h.village_id, version.pk if version else 0)
        if key not in covers:
            covers[key] = version is not None and (
                version == in_force[h.village_id]
                or CompactVersion.objects.filter(
                    compact_covers_village_q(h.village), pk=version.pk
                ).exists()
            )
        out.append(
            Facts(
                signing=s if s.household is h else _with_household(s, h),
                by=by,
                today=day,
                access=access[h.pk],
                version=version,
                in_force=in_force[h.village_id],
                covers=covers[key],
                active=active.get(h.pk, []),
                due=due,
            )
        )
    return out


def _with_household(s: Signing, household: Household) -> Signing:
    return Signing(**{**s.__dict__, "household": household})


# --- writing ---------------------------------------------------------------------------


def _signed_at(f: Facts, at: dt.datetime) -> dt.datetime:
    if f.signing.method == ONLINE:
        return at
    # Paper sheets carry a date only: noon local time keeps the date stable in any zone.
    return timezone.make_aware(dt.datetime.combine(f.signed_on, dt.time(12, 0)))


def _write(facts: Sequence[Facts], by: User, note: str | None) -> tuple[list[Pledge], int]:
    """Close the renewed pledges and create the new ones with their events, in bulk."""
    at = now()
    renewed = [f.previous for f in facts if f.previous is not None]
    if renewed:
        closed = Pledge.objects.filter(
            pk__in=[p.pk for p in renewed], status=Pledge.Status.ACTIVE
        ).update(status=Pledge.Status.RENEWED, ended_at=at)
        if closed != len(renewed):  # cannot happen under the locks; never write half
            raise errors.AlreadySigned()
    pledges = []
    for f in facts:
        s, online = f.signing, f.signing.method == ONLINE
        pledge = Pledge(
            household=s.household,
            version=f.version,
            method=s.method,
            signed_at=_signed_at(f, at),
            signatory_name=(by.display_name or s.household.head_name)
            if online
            else s.signatory.strip(),
            witness_name="" if online else s.witness.strip(),
            signed_by=by if online else None,
            recorded_by=None if online else by,
            previous=f.previous,
        )
        if s.scan is not None and not online:
            content = scans.as_file(s.scan)
            pledge.scan.save(content.name, content, save=False)
        pledges.append(pledge)
    try:
        with transaction.atomic():
            created = Pledge.objects.bulk_create(pledges)
    except IntegrityError as exc:  # the partial unique index: a concurrent double submit
        raise errors.AlreadySigned() from exc
    events = [
        PledgeEvent(
            pledge=f.previous,
            by=by,
            from_status=Pledge.Status.ACTIVE,
            to_status=Pledge.Status.RENEWED,
            note=note or _("renewed on version %(number)s") % {"number": f.version.number},
        )
        for f in facts
        if f.previous is not None
    ]
    events += [
        PledgeEvent(pledge=p, by=by, to_status=Pledge.Status.ACTIVE, note=note or p.method)
        for p in created
    ]
    PledgeEvent.objects.bulk_create(events)
    ledger_changed_in({household_district_id(f.signing.household) for f in facts}, Pledge)
    return created, len(renewed)


@dataclass
class Batch:
    """What `sign_all` did: the pledges written, how many renewed an older one, and the
    refusals per signing (its index in the input), when nothing was written."""

    pledges: list[Pledge] = field(default_factory=list)
    renewed: int = 0
    refused: dict[int, list[DomainError]] = field(default_factory=dict)


@transaction.atomic
def sign_all(
    *, signings: Sequence[Signing], by: User, note: str | None = None, dry_run: bool = False
) -> Batch:
    """Check every signing against RULES and, if none is refused and this is not a dry
    run, write them all in one transaction: every signing or none."""
    facts = _facts(signings, by)
    refused = {i: found for i, f in enumerate(facts) if (found := refusals(f))}
    if refused or dry_run:
        return Batch(refused=refused)
    pledges, renewed = _write(facts, by, note)
    return Batch(pledges=pledges, renewed=renewed)


def sign(*, signing: Signing, by: User) -> Pledge:
    """Sign the compact for one household (online by its villager, or a paper signing
    recorded by staff), or raise the first rule it breaks; nothing is written then."""
    batch = sign_all(signings=[signing], by=by)
    if batch.refused:
        raise batch.refused[0][0]
    return batch.pledges[0]


def renew(*, pledge: Pledge, signing: Signing, by: User) -> Pledge:
    """Renew this active pledge (the API's /renew/): a signing of the same household on a
    version of the same compact, under the same rules."""
    if pledge.status != Pledge.Status.ACTIVE:
        raise errors.InvalidTransition(_("Only an active pledge can be renewed."))
    if signing.version is None or signing.version.compact_id != pledge.version.compact_id:
        raise errors.InvalidTransition(_("A pledge is renewed on a version of the same compact."))
    return sign(signing=_with_household(signing, pledge.household), by=by)


def method_for(user: User) -> str:
    """A villager signs online; staff record a signing on paper."""
    return ONLINE if scopes.can(user, Can.SIGN_FOR_HOUSEHOLD) else PAPER


# --- withdrawal --------------------------------------------------------------------------


@transaction.atomic
def pledge_withdraw(*, pledge: Pledge, by: User, note: str = "") -> Pledge:
    """Withdraw an active pledge (the household's own decision, or recorded by staff)."""
    if not scopes.household_access(by, pledge.household).write:
        raise errors.NotAllowed()
    updated = Pledge.objects.filter(pk=pledge.pk, status=Pledge.Status.ACTIVE).update(
        status=Pledge.Status.WITHDRAWN, ended_at=now()
    )
    if updated != 1:
        raise errors.InvalidTransition(_("Only an active pledge can be withdrawn."))
    PledgeEvent.objects.create(
        pledge=pledge,
        by=by,
        from_status=Pledge.Status.ACTIVE,
        to_status=Pledge.Status.WITHDRAWN,
        note=note,
    )
    ledger_changed_in([household_district_id(pledge.household)], Pledge)
    pledge.refresh_from_db()
    return pledge
