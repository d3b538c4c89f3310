"""M7 (issue 10): the staff workspace's first load at county scale (bench/county.py), in
Debian's headless Chromium (Playwright), served by gunicorn under the production settings
(static files collected and gzipped by WhiteNoise's manifest storage), a station's staff
member logged in, the browser cache empty:

- bytes over the wire: the page and every resource until the reports are drawn (the
  Resource Timing API's transferSize: compressed bodies and headers) ÷ 1 MB (target <= 1);
- time to the first drawn layer (performance mark "houhu:first-layer", set by
  houhu-map.js) and to the reports drawn ("houhu:reports-drawn", workspace.js), from the
  start of the navigation ÷ 2 s (target <= 1).

    make bench ARGS=bench/bench_workspace.py     # BENCH_REPEAT=3 (medians)
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["DJANGO_SETTINGS_MODULE"] = "houhu.settings.prod"
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "k" * 50)
os.environ["HOUHU_PLAIN_HTTP"] = "1"
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
sys.path.insert(0, str(ROOT))

from common import setup_django  # noqa: E402
from server import Server, session_headers  # noqa: E402

setup_django()

from county import ensure_county  # noqa: E402

from houhu.accounts.models import User  # noqa: E402
from houhu.lib import tilecache  # noqa: E402
from tests.conftest import chromium_path  # noqa: E402
from tests.stack import collect_static  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
MEASURE = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource");
  const mark = n => (performance.getEntriesByName(n)[0] || {}).startTime;
  return {
    bytes: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
    requests: 1 + res.length,
    tiles: res.filter(r => r.name.includes("/tiles/")).length,
    tile_bytes: res.filter(r => r.name.includes("/tiles/")).reduce((s, r) => s + r.transferSize, 0),
    first_layer_ms: mark("houhu:first-layer"),
    reports_ms: mark("houhu:reports-drawn"),
    reports: document.getElementById("ws-map").getAttribute("data-report-count"),
  };
}"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    print("county:", ensure_county())
    done = collect_static()
    assert done.returncode == 0, done.stderr
    staff = User.objects.filter(role=User.Role.STAFF).order_by("pk").first()
    cookie = session_headers(staff)["Cookie"].split("=", 1)[1]
    runs = []
    with Server() as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        for _ in range(REPEAT):
            tilecache.clear()  # the server's tile cache cold too: the worst first load
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            context.add_cookies(
                [{"name": "sessionid", "value": cookie, "domain": "127.0.0.1", "path": "/"}]
            )
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{server.port}/patrols/workspace/")
            page.wait_for_function("() => window.patrolsWorkspaceReady === true", timeout=60_000)
            runs.append(page.evaluate(MEASURE))
            context.close()
        browser.close()
    for r in runs:
        print("  run:", r)
    mb = statistics.median(r["bytes"] for r in runs) / 1e6
    first = statistics.median(r["first_layer_ms"] for r in runs) / 1000
    drawn = statistics.median(r["reports_ms"] for r in runs) / 1000
    print(
        f"M7 bytes over the wire {mb:.3f} MB / 1 MB = {mb:.2f} ({'met' if mb <= 1 else 'NOT met'})"
    )
    print(
        f"M7 first drawn layer {first:.2f} s / 2 s = {first / 2:.2f} "
        f"({'met' if first <= 2 else 'NOT met'}); "
        f"reports drawn {drawn:.2f} s / 2 s = {drawn / 2:.2f}"
    )


if __name__ == "__main__":
    main()
