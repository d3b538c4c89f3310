"""`manage.py load_demo [--scale N] [--seed S] [--if-empty]`: the deterministic demo station(s).

See houhu/grid/demo.py for what is generated and docs/demo-data.md for the accounts.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q

from houhu.accounts.models import User
from houhu.grid import demo
from houhu.grid.models import District, Household, Line, Segment, Station, TransformerArea, Village


class Command(BaseCommand):
    help = (
        "Load the Houhu demo station (7 grids, 157 transformer areas, 13,700 households, "
        "10 kV lines and segments, demo accounts); --scale N adds stations houhu-02... "
        "for benchmarks. Stations already present are kept, so it is safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="number of stations (default 1; 20 ≈ 275k households)",
        )
        parser.add_argument(
            "--seed", type=int, default=demo.DEFAULT_SEED, help="random seed (default 2016)"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if any station exists (used by `make run`)",
        )

    def handle(self, *args, scale: int, seed: int, if_empty: bool, **options) -> None:
        if not 1 <= scale <= 99:
            raise CommandError("--scale must be between 1 and 99.")
        if if_empty and Station.objects.exists():
            if options["verbosity"] >= 1:
                self.stdout.write("Stations already exist: demo data not loaded (--if-empty).")
            return
        started = time.perf_counter()
        log = self.stdout.write if options["verbosity"] >= 2 else (lambda _: None)
        result = demo.load_demo(scale=scale, seed=seed, log=log)
        if options["verbosity"] >= 1:
            self.stdout.write(self.summary(result, time.perf_counter() - started))

    def summary(self, result: demo.LoadResult, seconds: float) -> str:
        stations = result.stations
        households = Household.objects.filter(transformer_area__district__station__in=stations)
        h = households.aggregate(
            total=Count("pk"), aquaculture=Count("pk", filter=Q(is_aquaculture=True))
        )
        staff = User.objects.filter(station__in=stations)
        rows = [
            f"Demo data ({len(result.created)} of {len(stations)} station(s) loaded now, "
            f"{seconds:.1f} s):",
            f"  stations            {len(stations)}",
            f"  service grids       {District.objects.filter(station__in=stations).count()}",
            f"  transformer areas   "
            f"{TransformerArea.objects.filter(district__station__in=stations).count()}",
            f"  villages            {Village.objects.filter(station__in=stations).count()}",
            f"  households          {h['total']} ({h['aquaculture']} aquaculture)",
            f"  10 kV lines         {Line.objects.filter(station__in=stations).count()}",
            f"  line segments       {Segment.objects.filter(line__station__in=stations).count()}",
            f"  staff accounts      {staff.count()} "
            f"({staff.filter(role=User.Role.GRID_MANAGER).count()} grid managers)",
            f"  villager accounts   "
            f"{User.objects.filter(household__transformer_area__district__station__in=stations).count()}",
            f"  other apps' steps   {', '.join(result.steps) or 'none'}",
            f"Password for every demo account: {demo.PASSWORD}",
        ]
        return "\n".join(rows)
