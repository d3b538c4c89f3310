"""The ledger's chain heads printed on the monthly report and in the exports, so that the
county keeps an outside copy of each station's head (docs/ledger.md): the last entry of
the station's chain at the period's end, as `HASH@DATE`, which `manage.py verify_ledger
--head HASH@DATE` checks the ledger still extends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from houhu.grid.models import District, Station, TransformerArea
from houhu.ledger import verify
from houhu.ledger.verify import Head

from .models import Level


@dataclass(frozen=True)
class StationHead:
    station: str
    head: Head


def _station_ids(level: str, scope_id: int) -> list[int]:
    if level == Level.COUNTY:
        return list(Station.objects.filter(county_id=scope_id).values_list("pk", flat=True))
    if level == Level.STATION:
        return [scope_id]
    if level == Level.DISTRICT:
        return list(District.objects.filter(pk=scope_id).values_list("station_id", flat=True))
    return list(
        TransformerArea.objects.filter(pk=scope_id).values_list("district__station_id", flat=True)
    )


def for_scope(level: str, scope_id: int, month: dt.date, *, to_date: bool) -> list[StationHead]:
    """The head of each station of the area at the end of `month` (now, for a month to
    date). Stations without entries yet are left out."""
    until = None
    if not to_date:
        next_month = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        until = timezone.make_aware(dt.datetime.combine(next_month, dt.time()))
    ids = _station_ids(level, scope_id)
    found = verify.heads(ids, until=until)
    names = dict(Station.objects.filter(pk__in=found).values_list("pk", "name"))
    return [StationHead(names[pk], found[pk]) for pk in ids if pk in found]
