#!/usr/bin/env bash
# `make test`: bootstrap, start (or reuse) PostGIS and Redis, then the whole suite.
# Extra arguments go to pytest (make test ARGS="-k pledges").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
eval "$(scripts/services.sh start)"
export DJANGO_SETTINGS_MODULE=houhu.settings.test
mkdir -p var/static
.venv/bin/python manage.py compilemessages --ignore=.venv -v0
exec .venv/bin/python -m pytest "$@"
