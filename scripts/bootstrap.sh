#!/usr/bin/env bash
# Installs what the project needs on a Debian/Ubuntu machine, once: system packages
# (PostgreSQL + PostGIS, Redis, GDAL/GEOS/PROJ, gettext; Chromium for the browser tests)
# and a virtualenv in .venv with the project from pyproject.toml. Safe to run again.
#   scripts/bootstrap.sh          -> runtime packages
#   scripts/bootstrap.sh --dev    -> also test tools and Debian's chromium
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1


# The distribution's PostgreSQL major version (15 on Debian 12, 16 on Ubuntu 24.04): the
# PostGIS package is named after it.
if [ -z "${PG_MAJOR:-}" ]; then
  PG_MAJOR=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n1)
  [ -n "$PG_MAJOR" ] || PG_MAJOR=$(apt-cache depends postgresql 2>/dev/null \
    | sed -n 's/^ *Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n1)
  PG_MAJOR=${PG_MAJOR:-15}
fi
pkgs=(postgresql "postgresql-${PG_MAJOR}-postgis-3" redis-server gdal-bin gettext python3-venv)
# wrk: bench/bench_service.py measures the server with it.
[ "$DEV" = 1 ] && pkgs+=(chromium wrk)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null \
      || { echo "bootstrap: missing ${missing[*]}; not root and no sudo to install them" >&2; exit 1; }
    SUDO="sudo"
  fi
  echo "bootstrap: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || { echo "bootstrap: Python 3.11 is required (set PYTHON=...)" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$( (cat pyproject.toml; echo "$DEV") | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q -U pip
  if [ "$DEV" = 1 ]; then
    .venv/bin/pip install -q -e '.[dev]'
  else
    .venv/bin/pip install -q -e .
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
echo "bootstrap: ready"
