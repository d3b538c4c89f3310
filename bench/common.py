"""Helpers shared by the benchmarks: Django set-up, demo data of a given scale, timing."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup_django() -> None:
    import django

    django.setup()


def ensure_demo(scale: int) -> None:
    """Load the demo county at `scale` stations unless that many are already there."""
    from django.core.management import call_command

    from houhu.grid.models import Station

    if Station.objects.count() < scale:
        call_command("load_demo", scale=scale, verbosity=0)


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time in seconds of `repeat` calls (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def report(name: str, baseline_name: str, baseline_s: float, measured_s: float) -> None:
    print(
        f"{name:<48} {measured_s * 1000:9.1f} ms   baseline {baseline_name}: "
        f"{baseline_s * 1000:9.1f} ms   ratio {measured_s / baseline_s:6.2f}x"
    )
