"""The app as `make run` serves it (supervisord: gunicorn gthread 3 x 4, worker, beat,
relay; production settings) under load, with ratios to a hello-world view served the same
way (`/health/live/`: no database) and measured by the same client in the same run:

1. 50 clients submitting reports for many villagers, with retries (same client id), cut
   connections (the request sent, the socket closed before the answer) and duplicate ids:
   stored exactly once?, submissions/s as a ratio to hello-world, p50/p95;
2. 16 connections: submissions/s, p50/p95; a villager's report list/s;
3. 200 keep-alive clients: peak PostgreSQL connections against the configured bound, 5xx;
4. the same at 16 connections measured by wrk (Debian package; a C client, so the server
   and not the Python client is what runs out): hello-world, submissions, report list.

    make bench ARGS=bench/bench_service.py
"""

from __future__ import annotations

import os
import random
import socket
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ensure_demo, setup_django

VILLAGERS = 200
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))


def _villager_sessions() -> list[str]:
    """Sessions of VILLAGERS villager accounts (made once in the bench database)."""
    from django.test import Client

    from houhu.accounts.models import User
    from houhu.grid.models import Household

    have = list(User.objects.filter(username__startswith="bench-v").order_by("pk"))
    households = Household.objects.filter(accounts__isnull=True).order_by("pk")
    for household in households[: max(VILLAGERS - len(have), 0)]:
        have.append(
            User.objects.create(
                username=f"bench-v{household.pk}",
                role=User.Role.VILLAGER,
                household=household,
                phone=household.phone,
            )
        )
    sessions = []
    for user in have[:VILLAGERS]:
        client = Client()
        client.force_login(user)
        sessions.append(client.cookies["sessionid"].value)
    return sessions


def _report_body(client_id: str, user_index: int) -> dict:
    # Points spread over the demo station (30.35-30.55 N, 112.65-112.95 E).
    rng = random.Random(user_index)
    return {
        "client_id": client_id,
        "kind": "tree",
        "lon": round(112.70 + rng.random() * 0.2, 6),
        "lat": round(30.40 + rng.random() * 0.1, 6),
        "accuracy_m": 8,
        "location_source": "gps",
        "tree_count": 2,
        "note": "杨树靠线",
    }


def _line(name: str, rate: float, baseline: float, load) -> None:
    print(
        f"{name:<22} {rate:8.1f} /s   ratio {rate / baseline:.4f}x   p50"
        f" {load.percentile(0.5) * 1000:7.1f} ms   p95 {load.percentile(0.95) * 1000:7.1f} ms"
    )


def _cut(stack_port: int, path: str, body: bytes, cookie: str, csrf: str) -> None:
    """Send a whole request and close the socket before reading the answer (a phone that
    loses its signal): the server may or may not have stored the report."""
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nCookie: {cookie}\r\nX-CSRFToken: {csrf}\r\n"
        f"Referer: http://127.0.0.1:{stack_port}/\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", stack_port), timeout=10) as s:
        s.sendall(request)


def main() -> None:
    import json

    setup_django()
    ensure_demo(1)
    from django.conf import settings
    from django.db import connection

    from tests.stack import PrivateRedis, Stack, collect_static, database_url

    assert collect_static().returncode == 0
    sessions = _villager_sessions()
    print(f"{len(sessions)} villager accounts")
    redis = PrivateRedis().start()
    stack = Stack(
        database_url=database_url(connection.settings_dict),
        broker_url=redis.url,
        secret_key=settings.SECRET_KEY,
        WEB_WORKERS=os.environ.get("WEB_WORKERS", "3"),
        WEB_THREADS=os.environ.get("WEB_THREADS", "4"),
        CELERY_CONCURRENCY="2",
        # The flood guards would refuse the benchmark's own load (one account posting
        # hundreds of reports): measured is the write path, not the throttle.
        HOUHU_THROTTLE_REPORTS="1000000/hour",
        HOUHU_THROTTLE_WRITES="1000000/minute",
    )
    connection.close()
    stack.start()
    try:
        _run(stack, sessions, json)
    finally:
        stack.stop()
        redis.remove()


def _run(stack, sessions: list[str], json) -> None:
    from django.db import connection

    from houhu.outbox.models import Job
    from patrols.models import Report
    from tests.stack import ConnectionWatch, Load

    def login(client, n):
        client.use_session(sessions[n % len(sessions)])

    def hello(client, i):
        return client.get("/health/live/")[0]

    attempted: set[str] = set()
    acknowledged: set[str] = set()

    def submit_storm(client, i):
        """One report, through cuts and duplicates, until the server says it has it."""
        client_id = str(uuid.uuid4())
        attempted.add(client_id)
        body = _report_body(client_id, i)
        roll = random.random()
        if roll < 0.05:  # the signal drops right after sending
            csrf = client.cookies["csrftoken"]
            cookie = f"sessionid={client.cookies['sessionid']}; csrftoken={csrf}"
            _cut(stack.port, "/api/patrols/reports/", json.dumps(body).encode(), cookie, csrf)
        for _attempt in range(20):
            status = client.post_json("/api/patrols/reports/", body)[0]
            if status in (200, 201):
                acknowledged.add(client_id)
                if roll > 0.95:  # the phone did not see the answer and sends it again
                    assert client.post_json("/api/patrols/reports/", body)[0] == 200
                return status
        return status

    def submit(client, i):
        return client.post_json("/api/patrols/reports/", _report_body(str(uuid.uuid4()), i))[0]

    def report_list(client, i):
        return client.get("/api/patrols/reports/?limit=20")[0]

    _one_submission(stack, sessions, json)

    print(f"\n== 50 clients, {SECONDS:.0f} s each: hello-world, then the submission storm")
    hello50 = Load(stack.base_url, clients=50, seconds=SECONDS, setup=login).run(hello)
    before = Report.objects.count()
    storm = Load(stack.base_url, clients=50, seconds=SECONDS, setup=login).run(submit_storm)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(DISTINCT client_id) FROM patrols_report"
            " WHERE client_id = ANY(%s::uuid[])",
            [list(attempted)],
        )
        rows, distinct = cur.fetchone()
    found = Report.objects.filter(client_id__in=acknowledged).values_list("client_id", flat=True)
    missing = len(acknowledged - {str(u) for u in found})
    _line("hello-world", hello50.rate, hello50.rate, hello50)
    _line("submissions (storm)", len(acknowledged) / storm.elapsed, hello50.rate, storm)
    print(
        f"stored exactly once:   {rows == distinct and missing == 0}  ({len(attempted)} ids"
        f" tried, {len(acknowledged)} acknowledged, {rows} rows, {distinct} distinct,"
        f" {missing} missing; 5xx {storm.count(lambda s: s >= 500)},"
        f" {Report.objects.count() - before} new rows)"
    )

    print(f"\n== 16 connections, {SECONDS:.0f} s each")
    hello16 = Load(stack.base_url, clients=16, seconds=SECONDS, setup=login).run(hello)
    sub16 = Load(stack.base_url, clients=16, seconds=SECONDS, setup=login).run(submit)
    list16 = Load(stack.base_url, clients=16, seconds=SECONDS, setup=login).run(report_list)
    _line("hello-world", hello16.rate, hello16.rate, hello16)
    _line("submissions", sub16.rate, hello16.rate, sub16)
    _line("villager report list", list16.rate, hello16.rate, list16)
    print(
        f"non-2xx: {sub16.count(lambda s: s not in (200, 201)) + list16.count(lambda s: s != 200)}"
    )

    print(f"\n== 200 keep-alive clients, {SECONDS:.0f} s: the report list")
    db = connection.settings_dict
    dsn = {"host": db.get("HOST") or "127.0.0.1", "port": db.get("PORT") or 5432,
           "user": db.get("USER"), "dbname": "postgres"}  # fmt: skip
    env = stack.env
    bound = int(env["WEB_WORKERS"]) * int(env["WEB_THREADS"])
    background = int(env["CELERY_CONCURRENCY"]) + 1 + 1 + 2
    connection.close()
    with ConnectionWatch(dsn, db["NAME"]) as watch:
        many = Load(stack.base_url, clients=200, seconds=SECONDS, setup=login).run(report_list)
    _line("200 clients", many.rate, hello50.rate, many)
    print(
        f"5xx {many.count(lambda s: s >= 500)}, other non-200"
        f" {many.count(lambda s: s != 200 and s < 500)}; peak PostgreSQL connections"
        f" {watch.peak} (bound: web {bound} + background {background})"
    )
    print(f"\n== wrk, 16 connections, {SECONDS:.0f} s each (server-bound figures)")
    session = sessions[0]
    csrf = uuid.uuid4().hex
    hello_w = _wrk(stack, "/health/live/", session, csrf)
    sub_w = _wrk(stack, "/api/patrols/reports/", session, csrf, body=_report_body("ID", 1))
    list_w = _wrk(stack, "/api/patrols/reports/?limit=20", session, csrf)
    for name, r in (("hello-world", hello_w), ("submissions", sub_w), ("report list", list_w)):
        print(
            f"{name:<22} {r['rps']:8.1f} req/s   ratio {r['rps'] / hello_w['rps']:.4f}x"
            f"   p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms   non-2xx {r['errors']}"
        )
    pending = Job.objects.count()
    print(f"\noutbox jobs still pending at the end: {pending}")


SERIAL = int(os.environ.get("BENCH_SERIAL", "300"))


def _one_submission(stack, sessions: list[str], json) -> None:
    """One submission at a time through the server (one keep-alive connection, so the time
    is the write path's, not a queue's) against a bare INSERT of the same row, committed,
    from a client of PostgreSQL on the same machine; medians of SERIAL each."""
    import statistics
    import time

    import psycopg
    from django.db import connection

    from patrols.models import Report
    from tests.stack import HttpClient

    client = HttpClient(stack.base_url)
    client.use_session(sessions[1])
    times, floor = [], []
    for i in range(SERIAL):
        body = _report_body(str(uuid.uuid4()), i)
        t0 = time.perf_counter()
        status = client.post_json("/api/patrols/reports/", body)[0]
        times.append(time.perf_counter() - t0)
        assert status == 201, status
        # The floor under any request of this server: the hello-world view, same client,
        # same connection, interleaved.
        t0 = time.perf_counter()
        status = client.get("/health/live/")[0]
        floor.append(time.perf_counter() - t0)
        assert status == 200, status
    client.close()

    # The same row (the last one stored, with a new client id), as the app's INSERT has it.
    last = Report.objects.order_by("-pk").first()
    fields = [f for f in Report._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    insert_sql = f"INSERT INTO patrols_report ({columns}) VALUES ({marks}) RETURNING id"
    # Plain values for psycopg: geometries as hex EWKB text, which PostGIS parses.
    values = [
        getattr(last, f.attname).hexewkb.decode()
        if hasattr(getattr(last, f.attname), "hexewkb")
        else f.get_db_prep_save(getattr(last, f.attname), connection)
        for f in fields
    ]
    client_index = [f.attname for f in fields].index("client_id")
    db = connection.settings_dict
    bare = []
    with psycopg.connect(
        host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432,
        user=db.get("USER"), dbname=db["NAME"], autocommit=True,
    ) as pg:  # fmt: skip
        for _i in range(SERIAL):
            values[client_index] = uuid.uuid4()
            t0 = time.perf_counter()
            pg.execute(insert_sql, values)
            bare.append(time.perf_counter() - t0)
        # Remove the bare rows again: they are not reports anybody made.
        pg.execute("DELETE FROM patrols_report WHERE id > %s", [last.pk])
    app = statistics.median(times) * 1000
    insert = statistics.median(bare) * 1000
    print(f"\n== one submission at a time ({SERIAL} each), medians")
    print(f"bare INSERT of the same row   {insert:7.2f} ms")
    print(f"submission through the server {app:7.2f} ms   ratio {app / insert:.2f}x")
    hello = statistics.median(floor) * 1000
    print(f"hello-world through the server {hello:6.2f} ms   ratio {hello / insert:.2f}x"
          " (what Django and the server cost before a submission does anything)")  # fmt: skip


WRK_SCRIPT = """
local cookie, csrf, body = os.getenv("WRK_COOKIE"), os.getenv("WRK_CSRF"), os.getenv("WRK_BODY")
local run = os.getenv("WRK_RUN")
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
request = function()
  local headers = {["Cookie"] = cookie, ["X-CSRFToken"] = csrf, ["Referer"] = "http://127.0.0.1/"}
  if body == nil or body == "" then
    return wrk.format("GET", nil, headers)
  end
  n = n + 1
  -- a fresh client id per request (run, thread, counter): every submission is a new report
  local id = string.format("%s%02x-0000-4000-8000-%012x", run, tid, n)
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", nil, headers, (body:gsub('"ID"', '"' .. id .. '"')))
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %f %f %f %d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, errors))
end
"""


def _wrk(stack, path: str, session: str, csrf: str, body: dict | None = None) -> dict:
    import json
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    env = {
        **os.environ,
        "WRK_COOKIE": f"sessionid={session}; csrftoken={csrf}",
        "WRK_CSRF": csrf,
        "WRK_BODY": json.dumps(body) if body else "",
        "WRK_RUN": uuid.uuid4().hex[:6],
    }
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{int(SECONDS)}s", "--timeout", "30s", "-s", script.name,
         stack.base_url + path],
        capture_output=True, text=True, env=env, check=True,
    ).stdout  # fmt: skip
    os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    rps, p50, p95, errors = line.split()[1:]
    return {"rps": float(rps), "p50": float(p50), "p95": float(p95), "errors": int(errors)}


if __name__ == "__main__":
    main()
