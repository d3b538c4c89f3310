"""The app as `make run` runs it, for tests and benchmarks that need real processes:

- `Stack`: supervisord with deploy/supervisord.conf (gunicorn, Celery worker and beat, the
  outbox relay) under the production settings, against a database and a broker of the
  caller's choice;
- `PrivateRedis` and `PrivatePostgres`: instances on free ports that a test may stop and
  restart without touching the ones the rest of the suite uses;
- `HttpClient`: one keep-alive HTTP/1.1 connection with a session cookie, no third-party
  client (the load script uses the same one).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
# The newest installed PostgreSQL (as scripts/services.sh picks it), by major version.
PG_BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin"),
    key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    default=Path("/usr/bin"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], Any], *, timeout: float, what: str, every: float = 0.2):
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception as exc:  # a service still starting
            last_error = exc
        else:
            if value:
                return value
        time.sleep(every)
    raise TimeoutError(f"{what} not within {timeout:.0f} s (last error: {last_error!r})")


# --- HTTP -------------------------------------------------------------------------------


class HttpClient:
    """A client on one keep-alive connection, with Django's session and CSRF cookies."""

    def __init__(self, base_url: str, *, timeout: float = 30.0):
        host_port = base_url.split("://", 1)[1].rstrip("/")
        self.host, _, port = host_port.partition(":")
        self.port = int(port or 80)
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers=None, retry=True
    ) -> tuple[int, dict[str, str], bytes]:
        """One request; a connection the server closed meanwhile is reopened once."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if "csrftoken" in self.cookies and method != "GET":
            headers.setdefault("X-CSRFToken", self.cookies["csrftoken"])
            headers.setdefault("Referer", f"http://{self.host}:{self.port}/")
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
            self.close()
            if not retry:
                raise
            return self.request(method, path, body=body, headers=headers, retry=False)
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.headers.get("Connection", "").lower() == "close":
            self.close()
        return response.status, dict(response.headers), data

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post_json(self, path: str, payload: Any, **kw):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        return self.request("POST", path, body=json.dumps(payload).encode(), headers=headers, **kw)

    def post_form(self, path: str, fields: dict[str, str], **kw):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body=urlencode(fields).encode(), headers=headers, **kw)

    def post_multipart(self, path: str, fields: dict[str, str], files=(), **kw):
        """`files`: (field, filename, bytes, content type) tuples."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, filename, content, content_type in files:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", path, body=body, headers=headers, **kw)

    def use_session(self, session_key: str, csrf: str | None = None) -> None:
        """Act as the user of an existing session (tests make it with force_login)."""
        self.cookies["sessionid"] = session_key
        self.cookies["csrftoken"] = csrf or uuid.uuid4().hex  # 32 characters, a valid secret


def session_for(user) -> str:
    """A database session of `user`, as the log-in page would make it."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


# --- Redis ------------------------------------------------------------------------------


class PrivateRedis:
    """A Redis of one test, with an append-only file as `make run` keeps it."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="houhu-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        subprocess.run(
            [
                "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1",
                "--port", str(self.port), "--dir", str(self.dir), "--save", "",
                "--appendonly", "yes", "--pidfile", str(self.dir / "redis.pid"),
                "--logfile", str(self.dir / "redis.log"),
            ],
            check=True,
        )  # fmt: skip
        wait_until(self.ping, timeout=20, what=f"Redis on {self.port}")
        return self

    def ping(self) -> bool:
        return (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            ).stdout.strip()
            == "PONG"
        )

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown"], capture_output=True, check=False
        )
        wait_until(lambda: not self.ping(), timeout=20, what="Redis to stop")

    def remove(self) -> None:
        if self.ping():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- PostgreSQL -------------------------------------------------------------------------


class PrivatePostgres:
    """A throw-away PostgreSQL cluster (PostGIS available), for a test that restarts it."""

    def __init__(self):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="houhu-pg-", dir="/var/tmp"))
        self.data = self.root / "data"
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.as_pg:
            shutil.chown(self.root, "postgres")
            self.root.chmod(0o755)

    def _ctl(self, *args: str) -> None:
        # The server's output goes to its log file: a started postmaster keeps its stdout
        # open, so a captured pipe would never close.
        subprocess.run(
            [*self.as_pg, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
             str(self.root / "pg.log"), *args],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
        )  # fmt: skip

    def start(self) -> PrivatePostgres:
        subprocess.run(
            [*self.as_pg, str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "houhu",
             "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True,
        )  # fmt: skip
        self._ctl(
            "-w", "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )  # fmt: skip
        return self

    def restart(self) -> float:
        """A fast restart (connections cut, as a crash or an upgrade would); seconds taken."""
        started = time.monotonic()
        self._ctl("-w", "-m", "fast", "restart")
        return time.monotonic() - started

    def url(self, name: str) -> str:
        return f"postgis://houhu@127.0.0.1:{self.port}/{name}"

    def copy_database(self, source: dict, name: str) -> str:
        """A copy of `source` (Django's settings_dict of a live database) named `name`."""
        target = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "houhu"]
        subprocess.run([str(PG_BIN / "createdb"), *target, name], check=True, capture_output=True)
        dump = subprocess.Popen(
            [str(PG_BIN / "pg_dump"), "--no-owner", "-h", source.get("HOST") or "127.0.0.1",
             "-p", str(source.get("PORT") or 5432), "-U", source.get("USER") or "houhu",
             source["NAME"]],
            stdout=subprocess.PIPE,
        )  # fmt: skip
        subprocess.run(
            [str(PG_BIN / "psql"), *target, "-q", "-v", "ON_ERROR_STOP=0", "-d", name],
            stdin=dump.stdout, check=True, capture_output=True,
        )  # fmt: skip
        dump.wait(timeout=120)
        return self.url(name)

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


# --- The supervised app -----------------------------------------------------------------


def database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
    return f"postgis://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def collect_static() -> subprocess.CompletedProcess:
    """collectstatic under the production settings (WhiteNoise's manifest storage)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="houhu.settings.prod", DJANGO_SECRET_KEY="k" * 50)
    return subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


class Stack:
    """deploy/supervisord.conf in the foreground (a child of the test), on its own port,
    log and socket directories. Call `start()`, then `stop()` (always)."""

    def __init__(self, *, database_url: str, broker_url: str, secret_key: str, **env: str):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="hh-"))  # short: a unix socket lives here
        self.logs = self.dir / "log"
        self.logs.mkdir()
        (self.dir / "run").mkdir()
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "HOUHU_", "CELERY_", "DATABASE_", "WEB_"))
        }
        self.env = {
            **base,
            "HOUHU_ROOT": str(ROOT),
            "HOUHU_LOG_DIR": str(self.logs),
            "HOUHU_RUN_DIR": str(self.dir / "run"),
            "HOUHU_SUPERVISOR_FOREGROUND": "true",
            "HOUHU_WEB_AUTOSTART": "true",
            "DJANGO_SETTINGS_MODULE": "houhu.settings.prod",
            "DJANGO_SECRET_KEY": secret_key,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "HOUHU_PLAIN_HTTP": "1",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "WEB_WORKERS": "2",
            "WEB_THREADS": "4",
            "CELERY_CONCURRENCY": "1",
            "STATS_CONCURRENCY": "1",
            "CELERY_STATS_QUEUE": "stats",
            "OUTBOX_POLL_SECONDS": "1",
            **env,
        }
        self.socket = self.dir / "run" / "supervisor.sock"
        self.proc: subprocess.Popen | None = None
        self.base_url = f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 180) -> Stack:
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "supervisord"), "-c", str(ROOT / "deploy" / "supervisord.conf")],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_until(
                self.healthy, timeout=timeout, what="the supervised app's /health/", every=0.5
            )
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{self.log_tail()}") from None
        return self

    def health(self) -> tuple[int, dict]:
        client = HttpClient(self.base_url, timeout=5)
        try:
            status, _headers, body = client.get("/health/")
        finally:
            client.close()
        return status, json.loads(body)

    def healthy(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"supervisord exited with {self.proc.returncode}")
        return self.health()[0] == 200

    def ctl(self, *args: str) -> str:
        return subprocess.run(
            [str(VENV_BIN / "supervisorctl"), "-s", f"unix://{self.socket}", *args],
            capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip

    def pid(self, program: str) -> int:
        out = self.ctl("pid", program).strip()
        return int(out) if out.isdigit() else 0

    def client(self) -> HttpClient:
        return HttpClient(self.base_url)

    def log_tail(self, lines: int = 30) -> str:
        parts = []
        for log in sorted(self.logs.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


# --- Load ---------------------------------------------------------------------------------


class Load:
    """`clients` threads, each with its own keep-alive connection, calling `step(client,
    i)` (returns the HTTP status) until `seconds` have passed; latencies in seconds."""

    def __init__(self, base_url: str, *, clients: int, seconds: float, setup=None):
        self.base_url, self.clients, self.seconds, self.setup = base_url, clients, seconds, setup
        self.statuses: list[int] = []
        self.latencies: list[float] = []
        self.elapsed = 0.0

    def run(self, step: Callable[[HttpClient, int], int]) -> Load:
        import threading

        lock = threading.Lock()
        start_gate = threading.Barrier(self.clients + 1)
        deadline = [0.0]

        def worker(n: int) -> None:
            client = HttpClient(self.base_url, timeout=60)
            if self.setup is not None:
                self.setup(client, n)
            statuses, latencies = [], []
            start_gate.wait()
            i = 0
            while time.monotonic() < deadline[0]:
                t0 = time.perf_counter()
                try:
                    status = step(client, n * 1_000_000 + i)
                except OSError:
                    status = 0
                    client.close()
                latencies.append(time.perf_counter() - t0)
                statuses.append(status)
                i += 1
            client.close()
            with lock:
                self.statuses += statuses
                self.latencies += latencies

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(self.clients)]
        for t in threads:
            t.start()
        deadline[0] = time.monotonic() + self.seconds
        started = time.monotonic()
        start_gate.wait()
        for t in threads:
            t.join()
        self.elapsed = time.monotonic() - started
        return self

    @property
    def rate(self) -> float:
        return len(self.statuses) / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else 0.0

    def count(self, predicate: Callable[[int], bool]) -> int:
        return sum(1 for s in self.statuses if predicate(s))


class ConnectionWatch:
    """Samples how many connections the app's processes (application_name houhu-*, set by
    deploy/supervisord.conf) hold on one database, in a thread."""

    def __init__(self, dsn: dict, database: str, every: float = 0.1):
        import threading

        self.dsn, self.database, self.every = dsn, database, every
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(**self.dsn, autocommit=True) as conn:
            while not self._stop.is_set():
                (n,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = %s AND application_name LIKE 'houhu-%%'",
                    [self.database],
                ).fetchone()
                self.samples.append(n)
                self._stop.wait(self.every)

    def __enter__(self) -> ConnectionWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    @property
    def peak(self) -> int:
        return max(self.samples, default=0)


def celery_sender(broker_url: str):
    """A Celery app that publishes to `broker_url`. Celery reads CELERY_BROKER_URL from the
    environment (test.sh exports the suite's) before the broker it is given, at every
    use; an explicit write URL comes first."""
    from celery import Celery

    app = Celery("houhu-test-sender", set_as_current=False)
    app.conf.broker_write_url = broker_url
    app.conf.broker_read_url = broker_url
    return app
