"""The app under gunicorn for the map benchmarks: one worker process (2 threads) on a free
port, the same settings and database as the benchmark process (houhu.settings.dev with
DJANGO_DEBUG=0, as scripts/bench.sh sets), so a session made here is valid there."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, **env: str):
        self.port = _free_port()
        self.env = {**os.environ, "DJANGO_DEBUG": "0", **env}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "houhu.wsgi:application",
             "-b", f"127.0.0.1:{self.port}", "-w", "1", "--threads", "2",
             "--log-level", "warning", "--timeout", "300", "--keep-alive", "300"],
            cwd=ROOT, env=self.env,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _headers, _body = self.get("/health/live/")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def get(self, path: str, headers: dict | None = None, conn=None) -> tuple[int, dict, bytes]:
        """GET on a kept-alive connection (or a new one); the body as sent on the wire."""
        own = conn is None
        conn = conn or self.connection()
        try:
            conn.request("GET", path, headers={"Host": "localhost", **(headers or {})})
            response = conn.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            if own:
                conn.close()


def session_headers(user, gzip: bool = True) -> dict:
    from django.test import Client

    client = Client()
    client.force_login(user)
    headers = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    if gzip:
        headers["Accept-Encoding"] = "gzip"
    return headers


def capture_sql(fn) -> list[tuple[str, tuple]]:
    """The statements (with parameters) `fn` runs, to replay one as the bare baseline."""
    from django.db import connection

    seen: list[tuple[str, tuple]] = []

    def wrapper(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn()
    return seen
