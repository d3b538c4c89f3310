#!/usr/bin/env bash
# `make restore FILE=var/backups/houhu-….tar`: into a FRESH database and media folder.
#   RESTORE_DATABASE_URL (default DATABASE_URL): created if missing, refused if it has tables
#   RESTORE_MEDIA_ROOT (default HOUHU_MEDIA_ROOT or var/media): refused if not empty
# Refuses a backup whose files do not match its SHA-256 manifest, and ends with
# verify_ledger on the restored database (non-zero if a chain is broken).
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:?usage: scripts/restore.sh FILE}
eval "$(scripts/services.sh start)"
TARGET=${RESTORE_DATABASE_URL:-$DATABASE_URL}
PG_URL=${TARGET/#postgis:/postgresql:}
MEDIA=${RESTORE_MEDIA_ROOT:-${HOUHU_MEDIA_ROOT:-$PWD/var/media}}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

tar -C "$WORK" -xf "$FILE"
if ! (cd "$WORK" && sha256sum --quiet --strict -c MANIFEST.sha256); then
  echo "restore: $FILE does not match its manifest; nothing restored" >&2
  exit 2
fi

DB=${PG_URL##*/}; DB=${DB%%\?*}
ADMIN_URL=${PG_URL%/*}/postgres
if ! psql "$ADMIN_URL" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  psql "$ADMIN_URL" -qc "CREATE DATABASE \"$DB\""
fi
TABLES=$(psql "$PG_URL" -Atqc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'")
if [ "$TABLES" != 0 ]; then
  echo "restore: database $DB is not empty ($TABLES tables): name a fresh one with RESTORE_DATABASE_URL" >&2
  exit 3
fi
if [ -d "$MEDIA" ] && [ -n "$(ls -A "$MEDIA")" ]; then
  echo "restore: media folder $MEDIA is not empty: name a fresh one with RESTORE_MEDIA_ROOT" >&2
  exit 3
fi

pg_restore --no-owner --exit-on-error --dbname="$PG_URL" "$WORK/db.dump"
mkdir -p "$MEDIA"
tar -C "$MEDIA" -xzf "$WORK/media.tar.gz"
DATABASE_URL=$TARGET HOUHU_MEDIA_ROOT=$MEDIA .venv/bin/python manage.py verify_ledger
echo "restored $FILE into $DB and $MEDIA"
