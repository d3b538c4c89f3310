#!/usr/bin/env bash
# `make run`: the production settings (DEBUG off) on this machine, with the demo data.
#   bootstrap, PostgreSQL + Redis (scripts/services.sh), migrations, demo data (only into
#   an empty database), static files, then supervisord (deploy/supervisord.conf) running
#   gunicorn, the Celery worker and beat, and the outbox relay, each restarted if it exits.
#   Returns once /health/ answers; `make stop` stops it all. Safe to run again: a running
#   set is stopped and started anew.
# `make dev` (--dev): the development settings (DEBUG on) and Django's autoreloading
#   runserver in the foreground; worker, beat and relay under supervisord as above.
# `make stop` (--stop): stops what run/dev started (not PostgreSQL/Redis: services.sh stop).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MODE=run
case "${1:-}" in
  --stop) MODE=stop ;;
  --dev) MODE=dev ;;
  "") ;;
  *) echo "usage: $0 [--dev|--stop]" >&2; exit 2 ;;
esac

export HOUHU_ROOT=$ROOT HOUHU_LOG_DIR=$ROOT/var/log HOUHU_RUN_DIR=$ROOT/var/run
mkdir -p var/static var/log var/run
PIDFILE=var/run/supervisord.pid

supervisor_pid() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && cat "$PIDFILE"
}

stop_all() {
  local pid
  if pid=$(supervisor_pid); then
    # supervisord stops its programs on SIGTERM (each with its stop timeout), then exits.
    kill -TERM "$pid"
    for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "run: supervisord ($pid) did not stop within 60 s" >&2
      exit 1
    fi
    echo "run: stopped web, workers, beat and relay"
  fi
  rm -f "$PIDFILE"
  # Left by the former `make run` (detached celery processes with pid files).
  for name in worker beat; do
    if [ -f "var/celery-$name.pid" ]; then
      kill "$(cat "var/celery-$name.pid")" 2>/dev/null || true
      rm -f "var/celery-$name.pid"
    fi
  done
}

if [ "$MODE" = stop ]; then stop_all; exit 0; fi

scripts/bootstrap.sh
# HOUHU_REPLICA=1 make run: a streaming replica too, read by the dashboards and layers.
eval "$(scripts/services.sh "$([ -n "${HOUHU_REPLICA:-}" ] && echo replica || echo start)")"
PY=.venv/bin/python
export PORT=${PORT:-8000}
export WEB_WORKERS=${WEB_WORKERS:-3} WEB_THREADS=${WEB_THREADS:-4}
export CELERY_CONCURRENCY=${CELERY_CONCURRENCY:-2}
# The statistics' worker (deploy/supervisord.conf [program:stats]) and its queue.
export STATS_CONCURRENCY=${STATS_CONCURRENCY:-1} CELERY_STATS_QUEUE=${CELERY_STATS_QUEUE:-stats}

if [ "$MODE" = run ]; then
  export DJANGO_SETTINGS_MODULE=houhu.settings.prod
  # A secret of this machine, made once and kept out of git (var/ is ignored).
  if [ ! -s var/secret_key ]; then
    (umask 077 && $PY -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key)
  fi
  DJANGO_SECRET_KEY=$(cat var/secret_key)
  export DJANGO_SECRET_KEY
  # Served over plain http://: no HTTPS redirect, cookies without Secure (prod.py).
  export HOUHU_PLAIN_HTTP=${HOUHU_PLAIN_HTTP:-1}
  export DJANGO_ALLOWED_HOSTS="localhost,127.0.0.1,[::1]${DJANGO_ALLOWED_HOSTS:+,$DJANGO_ALLOWED_HOSTS}"
  export HOUHU_WEB_AUTOSTART=true
else
  export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-houhu.settings.dev}
  export HOUHU_WEB_AUTOSTART=false
fi

$PY manage.py compilemessages --ignore=.venv -v0
$PY manage.py migrate --noinput -v0
$PY manage.py load_demo --if-empty
if [ "$MODE" = run ]; then
  $PY manage.py collectstatic --noinput -v0
fi

stop_all >/dev/null
HOUHU_SUPERVISOR_FOREGROUND=false .venv/bin/supervisord -c deploy/supervisord.conf

logs() {
  cat <<MSG
  Logs: $HOUHU_LOG_DIR/ (web.log, worker.log, stats.log, beat.log, relay.log, supervisord.log)
  Processes: .venv/bin/supervisorctl -s unix://$HOUHU_RUN_DIR/supervisor.sock status
  Stop everything: make stop
MSG
}

if [ "$MODE" = dev ]; then
  echo
  echo "  Worker, beat and relay run in the background (development settings)."
  logs
  echo
  # runserver keeps no connection per thread (the pile-up of docs/operations.md).
  DATABASE_CONN_MAX_AGE=0 exec $PY manage.py runserver "0.0.0.0:$PORT"
fi

# Wait until the server answers and every background process has reported in.
if ! $PY - "$PORT" <<'PYEOF'
import json, sys, time, urllib.error, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/health/"
deadline = time.monotonic() + 120
body = None
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            sys.exit(0)
    except urllib.error.HTTPError as e:
        body = e.read().decode(errors="replace")
    except OSError:
        pass
    time.sleep(0.5)
print(f"run: {url} did not answer 200 within 120 s: {body}", file=sys.stderr)
sys.exit(1)
PYEOF
then
  tail -n 20 "$HOUHU_LOG_DIR"/web.log "$HOUHU_LOG_DIR"/supervisord.log >&2 || true
  exit 1
fi

cat <<MSG

  Houhu patrol ledger: http://127.0.0.1:$PORT/   (API docs: /api/docs/, admin: /admin/,
  health: /health/). Production settings over plain HTTP (HOUHU_PLAIN_HTTP=1), gunicorn
  with $WEB_WORKERS workers x $WEB_THREADS threads.
  Demo accounts (password for all: houhu2016) are listed in README.md, e.g.
    staff01 (station staff) · manager1 (grid manager) · leader (county leader) · admin
    villagers log in with their phone number, e.g. 13900000001
MSG
logs
