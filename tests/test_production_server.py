"""The production settings end to end, as `make run` serves them: static files collected
with WhiteNoise's manifest storage, gunicorn under supervisord, every page opened by every
role through it, no 5xx; log-in over plain HTTP with the HOUHU_PLAIN_HTTP switch."""

from __future__ import annotations

import re
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver

from houhu.accounts.models import User
from tests.patrols.factories import build_grid, submit, tree_data
from tests.stack import (
    ConnectionWatch,
    HttpClient,
    Load,
    PrivateRedis,
    Stack,
    collect_static,
    database_url,
    session_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Pages that only take a POST, or that end the session: opened, but expected to refuse.
SKIP = {"accounts:logout"}


def _pages_without_arguments() -> list[str]:
    """Every non-API URL of the project that needs no argument (the admin's own index)."""

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if route.startswith(("admin/", "api/")):
                    continue
                ns = f"{p.namespace}:" if p.namespace else ""
                yield from ((r, ns + n) for r, n in walk(p.url_patterns, route))
            elif isinstance(p, URLPattern) and "<" not in route and "^" not in route:
                yield route, str(p.name)

    return sorted({"/" + route for route, name in walk(get_resolver().url_patterns)} - {"/"})


@pytest.fixture(scope="module")
def collected():
    result = collect_static()
    assert result.returncode == 0, result.stderr[-3000:]
    assert (settings.STATIC_ROOT / "staticfiles.json").exists()


@pytest.fixture
def stack(collected, transactional_db):
    redis = PrivateRedis().start()
    app = Stack(
        database_url=database_url(connection.settings_dict),
        broker_url=redis.url,
        secret_key=settings.SECRET_KEY,  # the sessions the tests make must verify there
        HOUHU_MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    try:
        yield app.start()
    finally:
        app.stop()
        redis.remove()


def test_collectstatic_under_the_production_settings_compresses_every_asset(collected):
    manifest = (settings.STATIC_ROOT / "staticfiles.json").read_text()
    for vendored in (
        "vendor/leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.min.js",
        "stats/vendor/chartjs-4.6.1/chart.umd.min.js",
    ):
        assert f'"{vendored}"' in manifest
        hashed = re.search(rf'"{re.escape(vendored)}": "([^"]+)"', manifest).group(1)
        assert (settings.STATIC_ROOT / f"{hashed}.gz").exists()


def test_every_page_answers_every_role_through_gunicorn_without_a_server_error(stack):
    g = build_grid()
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    admin = User.objects.create_superuser(
        "root-admin", "admin@example.org", "x" * 12, role=User.Role.ADMIN
    )
    pages = [
        *_pages_without_arguments(),
        "/",
        "/admin/",
        "/api/docs/",
        "/api/schema/",
        f"/patrols/mine/{report.pk}/",
        f"/pledges/households/{g.household.pk}/card/",
        "/api/patrols/reports/",
        "/api/patrols/layers/reports/",
    ]
    assert len(pages) > 25
    roles = {
        "anonymous": None,
        "villager": g.villager,
        "grid manager": g.manager,
        "staff": g.staff,
        "leader": g.leader,
        "admin": admin,
    }
    failures = []
    for role, user in roles.items():
        client = stack.client()
        if user is not None:
            client.use_session(session_for(user))
        for page in pages:
            status, headers, body = client.get(page)
            if status >= 500:
                failures.append((role, page, status, body[:200]))
            if status == 200 and headers.get("Content-Type", "").startswith("text/html"):
                # DEBUG is off: no technical page, static files under hashed names.
                assert b"Traceback" not in body and b"URLconf" not in body
        client.close()
    assert failures == [], stack.log_tail()
    # A hashed, compressed static file referenced by a page is served by WhiteNoise.
    client = stack.client()
    _status, _h, login = client.get("/login/")
    css = re.search(rb'href="(/static/css/houhu\.[0-9a-f]{12}\.css)"', login).group(1).decode()
    status, headers, _ = client.request("GET", css, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip"
    assert "immutable" in headers.get("Cache-Control", "")


def test_a_browserless_client_logs_in_over_plain_http(stack):
    """HOUHU_PLAIN_HTTP=1 (make run): cookies without Secure, no redirect to https."""
    g = build_grid()
    # The server hashes with PBKDF2 (production), the tests' fast hasher is not installed.
    g.villager.password = PBKDF2PasswordHasher().encode("village-pass-2016", "fixedsalt123")
    g.villager.save(update_fields=["password"])
    client = HttpClient(stack.base_url)
    status, headers, body = client.get("/login/")
    assert status == 200
    cookie = headers.get("Set-Cookie", "")
    assert "csrftoken=" in cookie and "Secure" not in cookie
    token = re.findall(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)[-1].decode()
    status, headers, _ = client.post_form(
        "/login/",
        {
            "username": g.villager.username,
            "password": "village-pass-2016",
            "csrfmiddlewaretoken": token,
        },
    )
    assert status == 302, headers
    assert "sessionid" in client.cookies
    status, _h, body = client.get("/api/patrols/reports/")
    assert status == 200


def test_200_keep_alive_clients_stay_within_the_connection_bound_and_get_no_5xx(stack):
    """gunicorn's threads bound the web's database connections (a pool of WEB_THREADS per
    process); runserver once held 99 of 100 under 30 clients and answered 500 for minutes."""
    g = build_grid()
    submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    session = session_for(g.villager)
    env = stack.env
    web_bound = int(env["WEB_WORKERS"]) * int(env["WEB_THREADS"])
    # worker and stats worker: their pools' processes and main processes (heartbeat);
    # beat; relay + LISTEN.
    background = int(env["CELERY_CONCURRENCY"]) + 1 + int(env["STATS_CONCURRENCY"]) + 1 + 1 + 2
    db = connection.settings_dict
    dsn = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER"),
        "dbname": "postgres",
    }
    load = Load(stack.base_url, clients=200, seconds=10, setup=lambda c, n: c.use_session(session))
    with ConnectionWatch(dsn, db["NAME"]) as watch:
        load.run(lambda c, i: c.get("/api/patrols/reports/")[0])
    print(
        f"200 keep-alive clients: {load.rate:.0f} req/s, p95 {load.percentile(0.95) * 1000:.0f} ms,"
        f" peak {watch.peak} PostgreSQL connections (bound {web_bound} + {background})"
    )
    assert len(load.statuses) > 200
    assert load.count(lambda s: s != 200) == 0, sorted(set(load.statuses))
    assert 0 < watch.peak <= web_bound + background
