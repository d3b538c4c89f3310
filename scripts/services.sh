#!/usr/bin/env bash
# Starts (or stops) the services the app needs, unless the environment already names them:
#   DATABASE_URL given       -> use it; otherwise a private PostgreSQL+PostGIS cluster
#   CELERY_BROKER_URL given  -> use it; otherwise a private Redis
# Prints `export ...` lines for the caller to eval. Idempotent: a running service is reused.
#   eval "$(scripts/services.sh start)"     scripts/services.sh stop
#   eval "$(scripts/services.sh replica)"   the same, plus a streaming replica of the private
#     cluster on HOUHU_REPLICA_PORT (default: the primary's port + 10), made by
#     pg_basebackup -R, exported as DATABASE_REPLICA_URL (houhu/lib/db_router.py).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG_PORT=${HOUHU_PG_PORT:-54329}
REPLICA_PORT=${HOUHU_REPLICA_PORT:-$((PG_PORT + 10))}
REDIS_PORT=${HOUHU_REDIS_PORT:-63799}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)

# The cluster must live where the postgres user can enter: not under a mode-700 home.
if [ "$(id -u)" -eq 0 ]; then
  STATE=${HOUHU_STATE_DIR:-/var/tmp/houhu-$(echo "$ROOT" | sha1sum | cut -c1-8)}
  AS_PG=(runuser -u postgres --)
else
  STATE=${HOUHU_STATE_DIR:-$ROOT/var/services}
  AS_PG=()
fi
PGDATA=$STATE/pg
REPLICA_DATA=$STATE/replica
log() { echo "services: $*" >&2; }

start_pg() {
  [ -n "$PG_BIN" ] || { log "PostgreSQL binaries not found (run scripts/bootstrap.sh)"; exit 1; }
  mkdir -p "$STATE"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$STATE"; chmod 755 "$STATE"; fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    log "initialising a private PostgreSQL cluster in $PGDATA"
    "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDATA" -U houhu --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
      log "port $PG_PORT is taken by another PostgreSQL (another checkout?): stop it,"
      log "or set HOUHU_PG_PORT (or DATABASE_URL) for this one"
      exit 1
    fi
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -w -l "$STATE/pg.log" \
      -o "-p $PG_PORT -k $STATE -c listen_addresses=127.0.0.1 ${HOUHU_PG_OPTS:-}" start >/dev/null \
      || { log "PostgreSQL failed to start; see $STATE/pg.log"; tail -n 20 "$STATE/pg.log" >&2; exit 1; }
  fi
  local psql=(env PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U houhu -v ON_ERROR_STOP=1 -qAt)
  if ! "${psql[@]}" -d postgres -c "select 1 from pg_database where datname='houhu'" | grep -q 1; then
    "${psql[@]}" -d postgres -c "create database houhu"
  fi
  # PostGIS in template1 too, so the test database gets it without superuser tricks.
  for db in template1 houhu; do
    "${psql[@]}" -d "$db" -c "create extension if not exists postgis" \
      || { log "PostGIS extension missing (package postgresql-*-postgis-3)"; exit 1; }
  done
  echo "export DATABASE_URL=postgis://houhu@127.0.0.1:$PG_PORT/houhu"
}

start_replica() {
  local psql=(env PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U houhu -v ON_ERROR_STOP=1 -qAt -d postgres)
  # Streaming needs wal_level replica (PostgreSQL's default) and a replication line in
  # pg_hba.conf (initdb's trust set-up has one for 127.0.0.1): checked, not assumed.
  local wal
  wal=$("${psql[@]}" -c "show wal_level")
  if [ "$wal" = minimal ]; then
    log "setting wal_level=replica on the primary (restart)"
    "${psql[@]}" -c "alter system set wal_level = replica"
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -w -m fast restart >/dev/null
  fi
  if ! grep -Eq '^host[[:space:]]+replication[[:space:]].*127\.0\.0\.1' "$PGDATA/pg_hba.conf"; then
    echo "host replication all 127.0.0.1/32 trust" >>"$PGDATA/pg_hba.conf"
    "${psql[@]}" -c "select pg_reload_conf()" >/dev/null
  fi
  if [ ! -f "$REPLICA_DATA/standby.signal" ]; then
    log "making a streaming replica in $REPLICA_DATA (pg_basebackup of 127.0.0.1:$PG_PORT)"
    rm -rf "$REPLICA_DATA"
    # -R: standby.signal and primary_conninfo, so it starts as a standby of the primary.
    "${AS_PG[@]}" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U houhu -D "$REPLICA_DATA" \
      -R -X stream -c fast \
      || { log "pg_basebackup failed"; exit 1; }
  fi
  if ! "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$REPLICA_DATA" status >/dev/null 2>&1; then
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$REPLICA_PORT"; then
      log "port $REPLICA_PORT is taken: set HOUHU_REPLICA_PORT"
      exit 1
    fi
    # hot_standby_feedback: a long dashboard read on the replica is not cancelled by the
    # primary vacuuming rows it still reads.
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$REPLICA_DATA" -w -l "$STATE/replica.log" \
      -o "-p $REPLICA_PORT -k $STATE -c listen_addresses=127.0.0.1 -c hot_standby=on -c hot_standby_feedback=on ${HOUHU_PG_OPTS:-}" \
      start >/dev/null \
      || { log "the replica failed to start; see $STATE/replica.log"; tail -n 20 "$STATE/replica.log" >&2; exit 1; }
  fi
  echo "export DATABASE_REPLICA_URL=postgis://houhu@127.0.0.1:$REPLICA_PORT/houhu"
}

start_redis() {
  mkdir -p "$STATE/redis"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    command -v redis-server >/dev/null || { log "redis-server not installed (run scripts/bootstrap.sh)"; exit 1; }
    # Append-only file in the state dir: queued tasks and results survive a restart.
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$STATE/redis" \
      --pidfile "$STATE/redis/redis.pid" --logfile "$STATE/redis/redis.log" --save "" \
      --appendonly yes --appendfsync everysec
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -p "$REDIS_PORT" ping >/dev/null || { log "Redis failed to start"; exit 1; }
  else
    # Started before persistence was configured here: turn it on in place.
    redis-cli -p "$REDIS_PORT" config set appendonly yes >/dev/null
  fi
  echo "export CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

case "${1:-start}" in
  start|replica)
    if [ -n "${DATABASE_URL:-}" ]; then echo "export DATABASE_URL=$DATABASE_URL"; else start_pg; fi
    if [ -n "${CELERY_BROKER_URL:-}" ]; then echo "export CELERY_BROKER_URL=$CELERY_BROKER_URL"; else start_redis; fi
    if [ "$1" = replica ]; then
      if [ -n "${DATABASE_REPLICA_URL:-}" ]; then echo "export DATABASE_REPLICA_URL=$DATABASE_REPLICA_URL"
      elif [ -n "${DATABASE_URL:-}" ]; then log "DATABASE_URL is given: give DATABASE_REPLICA_URL too"; exit 1
      else start_replica; fi
    fi
    ;;
  stop)
    [ -f "$REPLICA_DATA/PG_VERSION" ] && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$REPLICA_DATA" -m fast stop >/dev/null 2>&1 || true
    [ -f "$PGDATA/PG_VERSION" ] && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    log "stopped"
    ;;
  *) echo "usage: $0 start|replica|stop" >&2; exit 2 ;;
esac
