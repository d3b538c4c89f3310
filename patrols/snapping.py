"""Where a report is, and what the submission needs to know before it writes, in ONE
statement: nearest segment, distance to it in metres, inside the protection zone or not;
the grid (with its manager, who is told), transformer area and village; and, for the
reporter, whether the client id is already stored and how many reports the account
stored in the throttle window.

Why hand-written SQL instead of the ORM: the ORM needed nine round trips for this (the
reporter's household -> transformer area -> grid -> station, the segment, the grid, the
household, the replay check, the throttle count), about a third of a submission's time
(issue 12). Metres are measured on the spheroid through the geography casts that carry
the GiST indexes (the decision of `houhu.grid.geo`); the nearest segment and household
are found by the index's KNN order (`<->` on geography) instead of sorting every row
within the radius.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils.translation import gettext_lazy as _

from houhu.accounts.models import User
from houhu.grid.models import District

from .errors import InvalidLocation, OutsideGrid

if TYPE_CHECKING:
    import uuid


@dataclass(frozen=True)
class Snap:
    segment_id: int | None
    segment_code: str | None
    distance_m: float | None
    in_zone: bool
    district: District  # with .manager loaded (or None): the new report's notification
    transformer_area_id: int | None
    village_id: int | None
    robot: bool  # the grid has an enabled WeCom robot (patrols.wecom)


@dataclass(frozen=True)
class Intake:
    """What one statement says about a submission before anything is written."""

    existing_id: int | None  # a report already stored with this client id
    existing_reporter_id: int | None
    existing_hash: str | None
    recent_count: int  # reports this account stored since `since`
    oldest_recent: dt.datetime | None
    snap: Snap | None  # None: outside every grid of the reporter's stations


def make_point(lon, lat) -> Point:
    """A WGS-84 point from what the phone sent, or a translated refusal."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InvalidLocation(_("Longitude and latitude must be numbers.")) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InvalidLocation(_("Longitude and latitude must be numbers."))
    if not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
        raise InvalidLocation(
            _("Longitude must be between -180 and 180 and latitude between -90 and 90.")
        )
    # A phone without a fix often reports 0,0 ("null island"): never a real patrol.
    if x == 0.0 and y == 0.0:
        raise InvalidLocation(_("The phone sent no real location (0, 0). Tap the map instead."))
    return Point(x, y, srid=4326)


def outside_grid() -> OutsideGrid:
    return OutsideGrid(
        _(
            "This location is outside every service grid of the station. "
            "Check the location or tap it on the map."
        )
    )


# st: the stations a user reports in: their household's, else their own station, else the
# stations of the grids they manage; NULL = every station (a superuser without any).
_INTAKE = """
WITH pt AS (
  SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g,
         ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS geog
), st AS (
    SELECT CASE
      WHEN %(household)s::bigint IS NOT NULL THEN ARRAY(
        SELECT d.station_id FROM grid_household h
        JOIN grid_transformerarea t ON t.id = h.transformer_area_id
        JOIN grid_district d ON d.id = t.district_id
        WHERE h.id = %(household)s::bigint)
      WHEN %(station)s::bigint IS NOT NULL THEN ARRAY[%(station)s::bigint]
      ELSE NULLIF(ARRAY(
        SELECT DISTINCT station_id FROM grid_district WHERE manager_id = %(user)s::bigint
      ), '{}')
    END AS ids
),
seg AS (
  SELECT s.id, s.code, s.district_id, s.transformer_area_id, l.voltage_kv,
         ST_Distance(s.geom::geography(LINESTRING, 4326), pt.geog) AS d
  FROM pt, st, grid_segment s
  JOIN grid_line l ON l.id = s.line_id
  JOIN grid_district sd ON sd.id = s.district_id
  WHERE ST_DWithin(s.geom::geography(LINESTRING, 4326), pt.geog, %(radius)s)
    AND (st.ids IS NULL OR sd.station_id = ANY(st.ids))
  ORDER BY d, s.id
  LIMIT 1
),
dist AS (
  SELECT d.id, d.name, d.station_id, d.manager_id, d.manager_phone
  FROM grid_district d
  WHERE d.id = COALESCE(
    (SELECT district_id FROM seg),
    (SELECT d2.id FROM pt, st, grid_district d2
      WHERE ST_Intersects(d2.boundary, pt.g) AND (st.ids IS NULL OR d2.station_id = ANY(st.ids))
      ORDER BY d2.id LIMIT 1))
),
hh AS (
  -- The nearest household of the grid's station within the village radius, by the
  -- geography index's KNN order: its village is the report's.
  SELECT h.village_id, h.transformer_area_id, t.district_id,
         ST_Distance(h.location::geography(POINT, 4326), pt.geog) AS d
  FROM pt, dist, grid_household h
  JOIN grid_transformerarea t ON t.id = h.transformer_area_id
  JOIN grid_district hd ON hd.id = t.district_id
  WHERE hd.station_id = dist.station_id
    -- Only a household within the radius is used: saying so lets the index find it among
    -- a few instead of sorting the station's 13,700 (9 ms of a 10 ms statement).
    AND ST_DWithin(h.location::geography(POINT, 4326), pt.geog, %(village_radius)s)
  ORDER BY h.location::geography(POINT, 4326) <-> pt.geog, h.id
  LIMIT 1
)
SELECT
  known.id, known.reporter_id, known.content_hash,
  recent.n, recent.oldest,
  seg.id, seg.code, seg.d, seg.voltage_kv,
  dist.id, dist.name, dist.station_id, dist.manager_phone,
  m.id, m.is_active, m.email,
  COALESCE(
    seg.transformer_area_id,
    (SELECT t.id FROM pt, grid_transformerarea t
      WHERE t.district_id = dist.id AND ST_Intersects(t.area, pt.g) ORDER BY t.id LIMIT 1),
    CASE WHEN hh.district_id = dist.id AND hh.d <= %(village_radius)s
      THEN hh.transformer_area_id END
  ) AS transformer_area_id,
  CASE WHEN hh.d <= %(village_radius)s THEN hh.village_id END AS village_id,
  EXISTS (SELECT 1 FROM patrols_gridrobot r WHERE r.district_id = dist.id AND r.enabled) AS robot
FROM (SELECT 1) one
-- the report already stored under this client id (a replay), by the unique index
LEFT JOIN patrols_report known ON known.client_id = %(client_id)s
-- what the reports throttle counts: this account's reports in the window
CROSS JOIN (
  SELECT count(*) AS n, min(received_at) AS oldest FROM patrols_report
  WHERE reporter_id = %(user)s AND received_at > %(since)s
) recent
LEFT JOIN seg ON true
LEFT JOIN dist ON true
LEFT JOIN hh ON true
LEFT JOIN accounts_user m ON m.id = dist.manager_id
"""


def intake(*, reporter: User, point: Point, client_id: uuid.UUID, since: dt.datetime) -> Intake:
    params = {
        "lon": point.x,
        "lat": point.y,
        "household": reporter.household_id,
        "station": reporter.station_id,
        "user": reporter.pk,
        "radius": float(settings.PATROLS_SNAP_RADIUS_M),
        "village_radius": float(settings.PATROLS_VILLAGE_RADIUS_M),
        "client_id": client_id,
        "since": since,
    }
    with connection.cursor() as cursor:
        cursor.execute(_INTAKE, params)
        row = cursor.fetchone()
    (
        existing_id, existing_reporter, existing_hash, recent_count, oldest_recent,
        seg_id, seg_code, seg_d, voltage_kv,
        district_id, district_name, station_id, manager_phone,
        manager_id, manager_active, manager_email,
        transformer_area_id, village_id, robot,
    ) = row  # fmt: skip
    snap = None
    if district_id is not None:
        district = District(
            id=district_id, name=district_name, station_id=station_id,
            manager_id=manager_id, manager_phone=manager_phone,
        )  # fmt: skip
        # Only what the notification reads: who the manager is, whether active, the e-mail.
        district.manager = (
            User(id=manager_id, is_active=manager_active, email=manager_email)
            if manager_id is not None
            else None
        )
        distance = round(float(seg_d), 2) if seg_id is not None else None
        zone_m = settings.HOUHU_PROTECTION_ZONES[voltage_kv]["zone_m"] if seg_id else None
        snap = Snap(
            segment_id=seg_id,
            segment_code=seg_code,
            distance_m=distance,
            in_zone=distance is not None and distance <= zone_m,
            district=district,
            transformer_area_id=transformer_area_id,
            village_id=village_id,
            robot=bool(robot),
        )
    return Intake(
        existing_id=existing_id,
        existing_reporter_id=existing_reporter,
        existing_hash=existing_hash,
        recent_count=recent_count,
        oldest_recent=oldest_recent,
        snap=snap,
    )
