#!/usr/bin/env bash
# `make run` as a user runs it, twice (the second restarts the first), then checks that the
# production server answers: /health/ 200 (database, broker, worker, beat, relay), the
# log-in page over plain HTTP with a non-Secure CSRF cookie, no debug page; `make stop`.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8000}
trap 'make stop >/dev/null 2>&1 || true' EXIT
make run
make run
.venv/bin/python - "$PORT" <<'PY'
import json, sys, urllib.error, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
with urllib.request.urlopen(base + "/health/", timeout=10) as r:
    health = json.load(r)
    assert r.status == 200 and health["ok"], health
with urllib.request.urlopen(base + "/login/", timeout=10) as r:
    cookie = r.headers.get("Set-Cookie", "")
    assert r.status == 200 and "csrftoken=" in cookie and "Secure" not in cookie, cookie
try:
    urllib.request.urlopen(base + "/no-such-page/", timeout=10)
except urllib.error.HTTPError as e:
    body = e.read().decode()
    assert e.code == 404 and "URLconf" not in body, body[:300]
print("smoke: make run serves the production settings:", json.dumps(health)[:200])
PY
make stop
trap - EXIT
