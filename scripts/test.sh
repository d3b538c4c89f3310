#!/usr/bin/env bash
# `make test`: bootstrap, start (or reuse) PostGIS and Redis, then the whole suite.
# Extra arguments go to pytest (make test ARGS="-k pledges").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
# HOUHU_TEST_REPLICA=1: a streaming replica too; tests/lib/test_db_router.py then reads
# through it (without it, the same tests check that everything reads the primary).
if [ -n "${HOUHU_TEST_REPLICA:-}" ]; then
  eval "$(scripts/services.sh replica)"
else
  eval "$(scripts/services.sh start)"
  unset DATABASE_REPLICA_URL
fi
export DJANGO_SETTINGS_MODULE=houhu.settings.test
mkdir -p var/static
.venv/bin/python manage.py compilemessages --ignore=.venv -v0
exec .venv/bin/python -m pytest "$@"
