"""A full refresh fanned out over Celery workers: one task per station and one per county.

Each part (stats.compute.Part) reads only its own districts' reports, events, pledges and
segments and writes its own rows in a transaction of its own, so the parts run side by
side on as many worker processes and machines as consume the stats queue
(settings.STATS_QUEUE; docs/scale.md). A station's part writes its transformer areas',
grids' and station's rows; a county's part its county row (medians and 90th percentiles
cannot be added up from the stations', so it reads the county's reports itself). Every
part takes its figures at the same `now`, so the rows equal those of one unfanned run
(tests/stats/test_fanout.py compares them).

Why stations rather than grids as the unit: a part pays for a scan of the events and the
pledges whatever its size, and a grid is small (a county has ~140): a station (~7 grids)
keeps that overhead low while a county of 20 stations still gives 21 tasks to share.
"""

from __future__ import annotations

import datetime as dt

from celery import chord, signature
from django.conf import settings
from django.db import connection
from django.utils import timezone

from .compute import Part
from .models import Level

STATION_LEVELS = (Level.TRANSFORMER_AREA, Level.DISTRICT, Level.STATION)


def parts() -> list[Part]:
    """The parts of a full refresh, the counties' (the longest) first so that they start
    first; one whole part if fanning out is off (STATS_FANOUT)."""
    if not settings.STATS_FANOUT:
        return [Part()]
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT c.id, s.id, coalesce(array_agg(d.id ORDER BY d.id)
                                        FILTER (WHERE d.id IS NOT NULL), '{}')
            FROM grid_county c LEFT JOIN grid_station s ON s.county_id = c.id
            LEFT JOIN grid_district d ON d.station_id = s.id
            GROUP BY c.id, s.id ORDER BY c.id, s.id
            """
        )
        rows = cur.fetchall()
    counties: dict[int, list[int]] = {}
    stations = []
    for county_id, station_id, districts in rows:
        counties.setdefault(county_id, []).extend(districts)
        if station_id is not None:
            stations.append(Part(STATION_LEVELS, tuple(districts), station_ids=(station_id,)))
    county_parts = [
        Part((Level.COUNTY,), tuple(ids), county_ids=(c,)) for c, ids in counties.items()
    ]
    return county_parts + stations


def refresh_chord(
    scope: str, first: str | None = None, last: str | None = None, now: dt.datetime | None = None
):
    """The chord of a full refresh: every part (stats.refresh_part), then the sum of their
    rows (stats.refresh_done). All parts share one `now`."""
    now = now or timezone.now()
    header = [
        signature(
            "stats.refresh_part",
            kwargs={
                "scope": scope,
                "first": first,
                "last": last,
                "now": now.isoformat(),
                "levels": [lv.value for lv in part.levels],
                "district_ids": None if part.district_ids is None else list(part.district_ids),
                "station_ids": list(part.station_ids),
                "county_ids": list(part.county_ids),
            },
        )
        for part in parts()
    ]
    return chord(header, signature("stats.refresh_done"))


def wait(refresh_all_result, timeout: float) -> int:
    """The rows a fanned-out refresh wrote, once all its parts are done (for tests and the
    benchmark: a task never waits on another task)."""
    from celery.result import AsyncResult

    callback_id = refresh_all_result.get(timeout=timeout)
    return AsyncResult(callback_id).get(timeout=timeout)
