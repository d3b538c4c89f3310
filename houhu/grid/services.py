"""Writes of the core geography that are not plain admin edits."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import District, DistrictCounts
from .selectors import live_count_annotations

COUNT_FIELDS = tuple(live_count_annotations())


def refresh_district_counts(*, station_id: int | None = None) -> int:
    """Recompute and upsert `DistrictCounts` for every grid (or one station's grids).

    One SELECT aggregates all counts (correlated subqueries per grid), one
    INSERT ... ON CONFLICT DO UPDATE stores them: idempotent, and a concurrent run just
    writes the same figures again. Returns the number of grids refreshed.
    """
    districts = District.objects.order_by()
    if station_id is not None:
        districts = districts.filter(station_id=station_id)
    now = timezone.now()
    rows = [
        DistrictCounts(district_id=row.pop("pk"), computed_at=now, **row)
        for row in districts.annotate(**live_count_annotations()).values("pk", *COUNT_FIELDS)
    ]
    with transaction.atomic():
        DistrictCounts.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["district"],
            update_fields=[*COUNT_FIELDS, "computed_at"],
        )
    return len(rows)
