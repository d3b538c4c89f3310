"""`/health/`: database, broker, and the last signs of life of worker, beat and relay.

For a load balancer or a monitoring probe: 200 when everything answers, 503 otherwise,
with a JSON body saying what is wrong. Public, and it names no user data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .heartbeats import INTERVAL_SECONDS


def _database() -> dict:
    try:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*), extract(epoch FROM clock_timestamp() - min(run_after))"
                " FROM outbox_job WHERE claimed_at IS NULL AND run_after <= clock_timestamp()"
            )
            due, oldest = cur.fetchone()
    except Exception as exc:  # reported, not raised
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "jobs_due": due, "oldest_due_seconds": round(float(oldest or 0), 1)}


def _broker() -> dict:
    import redis

    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
        client.close()
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True}


def _heartbeats() -> dict[str, dict]:
    from .models import Heartbeat

    stale_after = 4 * INTERVAL_SECONDS
    now = timezone.now()
    rows = list(Heartbeat.objects.all())
    found: dict[str, dict] = {}
    for kind in ("worker", "beat", "relay"):
        mine = [r for r in rows if r.name == kind or r.name.startswith(f"{kind}@")]
        last = max((r.at for r in mine), default=None)
        age = None if last is None else (now - last).total_seconds()
        found[kind] = {
            "ok": age is not None and age <= stale_after,
            "last_seen": last.isoformat() if last else None,
            "age_seconds": None if age is None else round(age, 1),
        }
    return found


@never_cache
@require_GET
def health(request):
    database = _database()
    checks = {"database": database, "broker": _broker()}
    if database["ok"]:
        checks.update(_heartbeats())
        # Jobs due for longer than two retry intervals: the relay is stuck or down.
        oldest = database.pop("oldest_due_seconds")
        checks["outbox"] = {
            "ok": oldest <= settings.OUTBOX_MAX_RETRY_SECONDS * 2,
            "jobs_due": database.pop("jobs_due"),
            "oldest_due_seconds": oldest,
        }
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"ok": ok, **checks}, status=200 if ok else 503)


@never_cache
def live(request):
    """`/health/live/`: the process answers (no database, no broker). A liveness probe, and
    the "hello world" the benchmarks compare the app's own views against (bench/)."""
    return HttpResponse(b"ok\n", content_type="text/plain")
