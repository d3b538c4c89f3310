"""`manage.py verify_ledger [--station S] [--head HASH@DATE]`: recompute the chains.

Exits non-zero (CommandError) when a chain is broken or a kept head is no longer in it.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from houhu.ledger import verify


class Command(BaseCommand):
    help = "Recompute the ledger's hash chains; name the first broken entry of each station."

    def add_arguments(self, parser):
        parser.add_argument("--station", type=int, help="Only this station's chain (id).")
        parser.add_argument(
            "--head",
            help="A head kept outside (HASH@YYYY-MM-DD, as printed on the monthly report): "
            "check that the ledger still extends it.",
        )

    def handle(self, *args, station: int | None = None, head: str | None = None, **options):
        problems: list[str] = []
        if head:
            problems += self._check_head(head, station)
        breaks = verify.first_breaks(station)
        problems += [f"BROKEN: {b.describe()}" for b in breaks]
        broken = {b.station_id for b in breaks}
        stations = [station] if station is not None else verify.stations()
        for h in verify.heads(stations).values():
            state = "BROKEN" if h.station_id in broken else "intact"
            self.stdout.write(f"station {h.station_id}: head #{h.seq} {h}: {state}")
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(self.style.SUCCESS("ledger intact"))

    @staticmethod
    def _check_head(value: str, station: int | None) -> list[str]:
        hash_hex, _, date_text = value.partition("@")
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError as exc:
            raise CommandError(f"--head must be HASH@YYYY-MM-DD, not {value!r}") from exc
        found = verify.find_head(hash_hex.strip().lower())
        if found is None:
            return [f"HEAD NOT FOUND: {value}: the ledger no longer contains this entry"]
        problems = []
        if station is not None and found.station_id != station:
            problems.append(f"HEAD {value} is entry #{found.seq} of station {found.station_id}")
        if found.date != date:
            problems.append(f"HEAD {value}: entry #{found.seq} is dated {found.date}, not {date}")
        return problems
