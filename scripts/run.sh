#!/usr/bin/env bash
# `make run`: bootstrap, services, migrations, demo data (only into an empty database),
# a Celery worker and beat in the background, and the web server in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/static
stop_workers() {
  for name in worker beat; do
    if [ -f "var/celery-$name.pid" ]; then
      kill "$(cat "var/celery-$name.pid")" 2>/dev/null || true
      rm -f "var/celery-$name.pid"
    fi
  done
}
if [ "${1:-}" = "--stop" ]; then stop_workers; exit 0; fi

scripts/bootstrap.sh
eval "$(scripts/services.sh start)"
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-houhu.settings.dev}
PY=.venv/bin/python
$PY manage.py compilemessages --ignore=.venv -v0
$PY manage.py migrate --noinput -v0
$PY manage.py load_demo --if-empty

stop_workers
.venv/bin/celery -A houhu worker -l INFO --logfile var/celery-worker.log --pidfile var/celery-worker.pid --detach
.venv/bin/celery -A houhu beat -l INFO --logfile var/celery-beat.log --pidfile var/celery-beat.pid \
  --schedule var/celerybeat-schedule --detach

PORT=${PORT:-8000}
cat <<MSG

  Houhu patrol ledger: http://127.0.0.1:$PORT/   (API docs: /api/docs/, admin: /admin/)
  Demo accounts (password for all: houhu2016) are listed in README.md, e.g.
    staff01 (station staff) · manager1 (grid manager) · leader (county leader) · admin
    villagers log in with their phone number, e.g. 13900000001

MSG
exec $PY manage.py runserver "0.0.0.0:$PORT"
