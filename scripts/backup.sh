#!/usr/bin/env bash
# `make backup`: one file holding a consistent PostgreSQL dump, the uploaded photos and
# scans, and a SHA-256 manifest of both (docs/operations.md, "Backup and restore").
#   BACKUP_DIR (default var/backups) where the file goes; prints its path.
# pg_dump reads the whole database in one snapshot (one repeatable-read transaction), so
# the dump is consistent while the app keeps writing. Photos are written before their
# row commits (patrols.photos), so a file without a row may be in the tarball; a row
# without its file is not, as long as the tarball is made after the dump.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/services.sh start)"
PG_URL=${DATABASE_URL/#postgis:/postgresql:}
MEDIA=${HOUHU_MEDIA_ROOT:-$PWD/var/media}
OUT=${BACKUP_DIR:-$PWD/var/backups}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$MEDIA"

pg_dump --format=custom --no-owner --file="$WORK/db.dump" "$PG_URL"
tar -C "$MEDIA" -czf "$WORK/media.tar.gz" .
# The chain heads at the time of the backup: a restore must extend them.
.venv/bin/python manage.py verify_ledger > "$WORK/ledger.txt"
(cd "$WORK" && sha256sum db.dump media.tar.gz ledger.txt > MANIFEST.sha256)

FILE="$OUT/houhu-$STAMP.tar"
tar -C "$WORK" -cf "$FILE.part" MANIFEST.sha256 db.dump media.tar.gz ledger.txt
mv "$FILE.part" "$FILE"  # never a half-written file under the final name
echo "$FILE"
