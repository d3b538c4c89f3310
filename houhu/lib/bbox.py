"""The one parser of a map's bounding box, `?bbox=minLon,minLat,maxLon,maxLat` (WGS-84
degrees), for every layer and list that filters by it."""

from __future__ import annotations

import math

from django.contrib.gis.geos import Polygon
from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput


def parse_bbox(value: str | None, *, field: str = "bbox") -> Polygon | None:
    """The box as a polygon (SRID 4326), None when absent; InvalidInput naming the field
    when it is not four finite numbers with min < max inside the earth's bounds."""
    if value is None or str(value).strip() == "":
        return None
    parts = str(value).split(",")
    message = _("bbox must be four numbers: minLon,minLat,maxLon,maxLat (WGS-84 degrees).")
    if len(parts) != 4:
        raise InvalidInput(message, field=field)
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(message, field=field) from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise InvalidInput(message, field=field)
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise InvalidInput(_("bbox longitudes must lie between -180 and 180."), field=field)
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise InvalidInput(_("bbox latitudes must lie between -90 and 90."), field=field)
    if min_lon >= max_lon or min_lat >= max_lat:
        raise InvalidInput(
            _("bbox minimum longitude and latitude must be below the maximum ones."), field=field
        )
    polygon = Polygon.from_bbox((min_lon, min_lat, max_lon, max_lat))
    polygon.srid = 4326
    return polygon
