#!/usr/bin/env bash
# `make bench`: every bench/bench_*.py (or those named: make bench ARGS=bench/bench_layers.py),
# each on its own database `houhu_bench` (never the app's or the tests'). Each script prints
# its figures as ratios against a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
eval "$(scripts/services.sh start)"
export DJANGO_SETTINGS_MODULE=houhu.settings.dev DJANGO_DEBUG=0
BENCH_URL=${BENCH_DATABASE_URL:-${DATABASE_URL%/*}/houhu_bench}
export DATABASE_URL=$BENCH_URL
.venv/bin/python bench/setup_db.py
scripts=("$@")
[ ${#scripts[@]} -eq 0 ] && scripts=(bench/bench_*.py)
for s in "${scripts[@]}"; do
  echo "== $s"
  .venv/bin/python "$s"
done
