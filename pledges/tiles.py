"""The coverage tile layer (registered in PledgesConfig.ready; houhu.grid.tiles serves it).

- From COVERAGE_SEGMENTS_MIN_ZOOM on: every segment with its responsibility coverage (the
  columns of the coverage GeoJSON layer, `responsibility.selectors.segment_coverage_rows`)
  without the responsible person's name: the map colours, the side panel names.
- Below: households counted per cell with how many of them are signed (`pledges.figures`:
  signed = a pledge in force now), so a leader sees the county's pledge coverage at once.
"""

from __future__ import annotations

from django.db.models import F

from houhu.grid.tiles import TileLayer, register
from houhu.lib import mvt

from .compact.selectors import active_pledge_exists, households_for
from .responsibility.selectors import segment_coverage_rows, segments_for

COVERAGE_SEGMENTS_MIN_ZOOM = 13
SEGMENT_COLUMNS = [
    "id",
    "code",
    "line_code",
    "district_id",
    "responsible",
    "in_patch",
    "front_doors",
    "front_doors_signed",
    "signed_share",
]


def coverage_tile(*, user, district_ids, z, x, y, params) -> bytes:
    if z >= COVERAGE_SEGMENTS_MIN_ZOOM:
        qs = (
            segments_for(user)
            .filter(district__in=district_ids)
            .filter(geom__bboverlaps=mvt.tile_bounds_4326(z, x, y, margin=mvt.buffer_margin()))
        )
        rows = segment_coverage_rows(qs, user=user).values(*SEGMENT_COLUMNS, geom_4326=F("geom"))
        return mvt.features_tile(
            "coverage", rows, columns=SEGMENT_COLUMNS, geom="geom_4326", z=z, x=x, y=y
        )
    rows = (
        households_for(user)
        .filter(is_active=True, transformer_area__district__in=district_ids)
        .filter(location__bboverlaps=mvt.tile_bounds_4326(z, x, y))
        .annotate(signed=active_pledge_exists())
        .values("signed", geom=F("location"))
    )
    return mvt.cells_tile(
        "coverage", rows, z=z, x=x, y=y, aggregates={"signed": "count(*) FILTER (WHERE q.signed)"}
    )


def register_layers() -> None:
    register(
        TileLayer(
            "coverage",
            coverage_tile,
            changed_by=frozenset(
                {"pledges.Pledge", "pledges.Assignment", "grid.Household", "grid.Segment"}
            ),
        )
    )
