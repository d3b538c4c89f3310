"""Bulk import of paper pledges from a CSV (the station's paper roll-out).

Columns (header row, English or Chinese names): customer number (户号), signing date
(签订日期), signatory (签字人), witness (见证人). Each household signs the compact version
in force for its village, through the one signing service (compact/signing.py) and its
rules. All-or-nothing: if any row is rejected, nothing is saved and the report lists every
rejected row and every reason.

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
from django.utils.translation import gettext as _

from houhu.accounts import scopes
from houhu.accounts.scopes import Can
from houhu.grid.models import Household

from .. import errors
from .models import Pledge
from .signing import Signing, sign_all

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
    """Read every row into a `Signing` (this boundary's own checks: the file's shape,
    known customer numbers, dates), then hand them all to the one signing service,
    `signing.sign_all`, which checks each against the same rules as the page and the API
    and saves all of them or none. Raises NotAllowed for a user who may not record
    pledges at all."""
    if not scopes.can(by, Can.ACT_IN_DISTRICTS):
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
    max_rows = int(settings.PLEDGES_CSV_MAX_ROWS)
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
    # One query for every household of the file.
    households = {
        h.customer_number: h
        for h in Household.objects.filter(customer_number__in=numbers).select_related(
            "village", "transformer_area"
        )
    }
    seen: dict[str, int] = {}
    reasons: dict[int, list[str]] = {}
    signings: list[tuple[int, Signing]] = []
    for line, row in enumerate(body, start=2):
        number = cell(row, "customer_number")
        found: list[str] = []
        household = households.get(number)
        duplicate = number in seen
        if not number:
            found.append(_("customer number is missing"))
        elif duplicate:
            found.append(_("duplicate of line %(line)s") % {"line": seen[number]})
        else:
            seen[number] = line
        if number and household is None:
            found.append(_("unknown customer number"))
        raw_date = cell(row, "signed_on")
        signed_on = parse_date(raw_date)
        if signed_on is None:
            found.append(_("bad date “%(value)s” (use YYYY-MM-DD)") % {"value": raw_date})
        reasons[line] = found
        if household is not None and not duplicate:
            signings.append(
                (
                    line,
                    Signing(
                        household=household,
                        method=Pledge.Method.PAPER,
                        signed_on=signed_on,
                        signatory=cell(row, "signatory"),
                        witness=cell(row, "witness"),
                    ),
                )
            )
    file_ok = not any(reasons.values())
    batch = sign_all(
        signings=[s for _, s in signings],
        by=by,
        note=_("CSV import"),
        dry_run=dry_run or not file_ok,
    )
    for index, refused in batch.refused.items():
        line, row = signings[index][0], signings[index][1]
        # A date this file could not read was reported above, with what it said.
        reasons[line] += [
            e.message for e in refused if not (e.field == "signed_on" and row.signed_on is None)
        ]
    for line, found in reasons.items():
        if found:
            number = cell(body[line - 2], "customer_number")
            report.rejected.append(RejectedRow(line, number, found))
    report.imported = len(batch.pledges)
    report.renewed = batch.renewed
    return report
