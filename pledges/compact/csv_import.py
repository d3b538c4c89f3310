"""Bulk import of paper pledges from a CSV (the station's paper roll-out).

Columns (header row, English or Chinese names): customer number (户号), signing date
(签订日期), signatory (签字人), witness (见证人). Each household signs the compact version
in force for its village. All-or-nothing: if any row is rejected, nothing is saved and the
report lists every rejected row and every reason.

Spreadsheets saved by Excel in China are often GB18030 rather than UTF-8: both are read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from houhu.accounts.scopes import districts_for
from houhu.grid.models import Household
from houhu.lib.signals import ledger_changed

from .. import errors
from .models import CompactVersion, Pledge, PledgeEvent
from .selectors import compact_in_force

if TYPE_CHECKING:
    from django.core.files import File

    from houhu.accounts.models import User

COLUMNS = {
    "customer_number": ("customer_number", "customer number", "户号", "客户编号", "用户编号"),
    "signed_on": ("signed_on", "date", "signed on", "签订日期", "签字日期", "日期"),
    "signatory": ("signatory", "signatory_name", "签字人", "签名人"),
    "witness": ("witness", "witness_name", "见证人"),
}
TEMPLATE_HEADER = ["customer_number", "signed_on", "signatory", "witness"]

_DATE_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_COMPACT_DATE_RE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


@dataclass
class RejectedRow:
    line: int
    customer_number: str
    reasons: list[str]


@dataclass
class ImportReport:
    total_rows: int = 0
    imported: int = 0
    renewed: int = 0
    dry_run: bool = False
    rejected: list[RejectedRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.file_errors

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "total_rows": self.total_rows,
            "imported": self.imported,
            "renewed": self.renewed,
            "dry_run": self.dry_run,
            "file_errors": self.file_errors,
            "rejected": [
                {"line": r.line, "customer_number": r.customer_number, "reasons": r.reasons}
                for r in self.rejected
            ],
        }


def parse_date(text: str) -> dt.date | None:
    """2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日 or 20240305; None if not a date."""
    m = _DATE_RE.match(text or "") or _COMPACT_DATE_RE.match(text or "")
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _decode(file: File | bytes | str) -> str:
    if isinstance(file, str):
        return file
    data = file if isinstance(file, bytes) else file.read()
    if isinstance(data, str):
        return data
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise errors.BadInput(_("The file is not a UTF-8 or GB18030 text file."))


def _header_map(header: list[str]) -> dict[str, int]:
    wanted = {alias.lower(): key for key, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        key = wanted.get((name or "").strip().lower())
        if key and key not in found:
            found[key] = i
    return found


def import_pledges(*, file: File | bytes | str, by: User, dry_run: bool = False) -> ImportReport:
    """Check every row, then (if all are good and not a dry run) save all in one
    transaction. Raises NotAllowed for a user who may not record pledges at all."""
    if not by.is_authenticated or by.role in (by.Role.LEADER, by.Role.VILLAGER):
        raise errors.NotAllowed(_("Only station staff and grid managers may import pledges."))
    report = ImportReport(dry_run=dry_run)
    rows = list(csv.reader(io.StringIO(_decode(file))))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        report.file_errors.append(_("The file is empty."))
        return report
    cols = _header_map(rows[0])
    missing = [k for k in COLUMNS if k not in cols]
    if missing:
        report.file_errors.append(
            _("Missing column(s): %(columns)s. Expected header: %(header)s")
            % {"columns": ", ".join(missing), "header": ",".join(TEMPLATE_HEADER)}
        )
        return report
    max_rows = int(getattr(settings, "PLEDGES_CSV_MAX_ROWS", 20000))
    body = rows[1:]
    report.total_rows = len(body)
    if len(body) > max_rows:
        report.file_errors.append(
            _("Too many rows (%(n)s); split the file into parts of %(max)s rows.")
            % {"n": len(body), "max": max_rows}
        )
        return report

    def cell(row: list[str], key: str) -> str:
        i = cols[key]
        return row[i].strip() if i < len(row) else ""

    numbers = {cell(r, "customer_number") for r in body}
    # One query for every household of the file; scope checked against the same set.
    households = {
        h.customer_number: h
        for h in Household.objects.filter(customer_number__in=numbers).select_related(
            "village", "transformer_area"
        )
    }
    allowed_districts = set(districts_for(by).values_list("pk", flat=True))
    versions: dict[int, CompactVersion | None] = {}
    active = {
        (p.household_id, p.version_id): p
        for p in Pledge.objects.filter(
            household__in=[h.pk for h in households.values()], status=Pledge.Status.ACTIVE
        ).select_related("version")
    }
    today = timezone.localdate()
    seen: dict[str, int] = {}
    plan: list[tuple[Household, CompactVersion, dt.date, str, str]] = []
    for line, row in enumerate(body, start=2):
        number = cell(row, "customer_number")
        reasons: list[str] = []
        in_scope = False
        household = households.get(number)
        if not number:
            reasons.append(_("customer number is missing"))
        elif number in seen:
            reasons.append(_("duplicate of line %(line)s") % {"line": seen[number]})
        else:
            seen[number] = line
        if number and household is None:
            reasons.append(_("unknown customer number"))
        elif household is not None:
            if household.transformer_area.district_id not in allowed_districts:
                reasons.append(_("household is outside your service grids"))
            elif not household.is_active:
                reasons.append(_("household is not an active customer"))
            else:
                in_scope = True
        raw_date = cell(row, "signed_on")
        signed_on = parse_date(raw_date)
        if signed_on is None:
            reasons.append(_("bad date “%(value)s” (use YYYY-MM-DD)") % {"value": raw_date})
        elif signed_on > today:
            reasons.append(_("signing date is in the future"))
        signatory, witness = cell(row, "signatory"), cell(row, "witness")
        if not signatory:
            reasons.append(_("signatory is missing"))
        if not witness:
            reasons.append(_("witness is missing"))
        version = None
        if household is not None and in_scope:
            if household.village_id not in versions:
                versions[household.village_id] = compact_in_force(village=household.village)
            version = versions[household.village_id]
            if version is None:
                reasons.append(_("no compact is in force for this village"))
            else:
                if (household.pk, version.pk) in active:
                    reasons.append(_("already signed this version of the compact"))
                if signed_on and version.effective_from and signed_on < version.effective_from:
                    reasons.append(
                        _("signed before the compact in force took effect (%(date)s)")
                        % {"date": version.effective_from.isoformat()}
                    )
        if reasons:
            report.rejected.append(RejectedRow(line, number, reasons))
        else:
            plan.append((household, version, signed_on, signatory, witness))
    if not report.ok or dry_run:
        return report
    try:
        _save(plan=plan, active=active, by=by, report=report)
    except IntegrityError:
        # A signing recorded between the check and the save: refuse the whole file.
        report.imported = report.renewed = 0
        report.file_errors.append(
            _("Another signing was recorded meanwhile; nothing was imported. Try again.")
        )
    return report


@transaction.atomic
def _save(*, plan, active, by: User, report: ImportReport) -> None:
    now = timezone.now()
    previous_by_household = {}
    for (household_id, _version_id), pledge in active.items():
        previous_by_household.setdefault(household_id, []).append(pledge)
    pledges = []
    renewed = []
    for household, version, signed_on, signatory, witness in plan:
        previous = next(
            (
                p
                for p in previous_by_household.get(household.pk, [])
                if p.version.compact_id == version.compact_id
            ),
            None,
        )
        if previous is not None:
            renewed.append(previous)
        pledges.append(
            Pledge(
                household=household,
                version=version,
                method=Pledge.Method.PAPER,
                # Paper sheets carry a date only: noon local time keeps it stable.
                signed_at=timezone.make_aware(dt.datetime.combine(signed_on, dt.time(12))),
                signatory_name=signatory,
                witness_name=witness,
                recorded_by=by,
                previous=previous,
            )
        )
    if renewed:
        updated = Pledge.objects.filter(
            pk__in=[p.pk for p in renewed], status=Pledge.Status.ACTIVE
        ).update(status=Pledge.Status.RENEWED, ended_at=now)
        if updated != len(renewed):
            raise IntegrityError("a pledge changed during the import")
    created = Pledge.objects.bulk_create(pledges)
    note = _("CSV import")
    PledgeEvent.objects.bulk_create(
        [
            PledgeEvent(pledge=p, by=by, from_status="active", to_status="renewed", note=note)
            for p in renewed
        ]
        + [PledgeEvent(pledge=p, by=by, to_status="active", note=note) for p in created]
    )
    report.imported = len(created)
    report.renewed = len(renewed)
    ledger_changed.send(
        sender=Pledge, district_ids=sorted({h.transformer_area.district_id for h, *_ in plan})
    )
