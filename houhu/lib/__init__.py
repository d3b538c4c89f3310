"""Helpers shared by every app, defined once: a plain package, not a Django app (no models
to migrate, no URLs, no AppConfig).

- `errors`: the one domain error type and the one DRF exception handler;
- `bbox`: the one parser of `?bbox=minLon,minLat,maxLon,maxLat`;
- `geojson`: the one FeatureCollection builder, in PostGIS;
- `mvt`, `tilecache`: the one vector tile builder (PostGIS ST_AsMVT) and the tile cache
  with its per-grid versions (houhu/grid/tiles.py serves them);
- `images`: the one intake of uploaded images (report photos, signed-pledge scans);
- `signals`: `ledger_changed`, how the statistics learn that the ledger moved;
- `limits`: input limits read from the model fields;
- `models`, `sql`: abstract base models (append-only rows), small SQL expressions;
- `security`: the Permissions-Policy header; `throttling`: per-user write limits;
- `redis_cache`: Django's Redis cache with one redis-py client per pool, not per call.

It imports Django and libraries only, never an app of the project: every app may import
it (see tests/test_architecture.py).
"""
