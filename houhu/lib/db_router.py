"""Reads of chosen views from a streaming replica, with read-your-own-writes.

A province's dashboards, map layers and tiles are read far more than the ledger is
written, and what they show may be a second old; a report, an action or a log-in must
see the ledger as it is. So reads go to the replica only where a view opts in
(`replica_reads` on a function view, `ReplicaReadsMixin` on a DRF view),
never globally: a view that reads and then writes (a workflow step checking the state it
changes, the throttle, the lock-out) must read the primary, and opting in one read-only
view at a time keeps that decision visible where it is made (docs/scale.md).

Inside an opted-in view, every ORM read (DATABASE_ROUTERS) and every raw read made
through `read_connection()` goes to the alias `replica` (DATABASES, from
DATABASE_REPLICA_URL); writes always go to `default`. Without a replica configured,
or while it does not answer, everything reads `default`.

Read-your-own-writes: a successful unsafe request (POST, PUT, PATCH, DELETE) sets a
short-lived cookie (`RecentWriteMiddleware`, DATABASE_REPLICA_STICKY_SECONDS); while a
browser or client holds it, its opted-in reads go to the primary, so the person who just
wrote never sees the state before their write, however far the replica lags (a cookie,
not the session: no database write per request, and it works for API clients too).
Forging it only sends one's own reads to the primary.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

log = logging.getLogger(__name__)

REPLICA = "replica"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_read_alias: contextvars.ContextVar[str] = contextvars.ContextVar(
    "houhu_read_alias", default=DEFAULT_DB_ALIAS
)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def read_alias() -> str:
    """The alias reads use right now: `replica` inside an opted-in view, else `default`."""
    return _read_alias.get()


def read_connection():
    """The connection for raw SQL reads (`with read_connection().cursor() as cur`)."""
    return connections[read_alias()]


@contextlib.contextmanager
def primary_reads():
    """Reads inside go to the primary, even in an opted-in view: for an answer cached under
    a version read now, which a lagging replica would store with the state before the
    change that bumped it."""
    token = _read_alias.set(DEFAULT_DB_ALIAS)
    try:
        yield
    finally:
        _read_alias.reset(token)


class ReplicaRouter:
    """DATABASE_ROUTERS: reads where `read_alias()` says, writes and migrations on
    `default` (the replica is read-only: PostgreSQL refuses writes to a standby)."""

    def db_for_read(self, model, **hints) -> str | None:
        alias = read_alias()
        return alias if alias != DEFAULT_DB_ALIAS else None

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


def wrote_recently(request) -> bool:
    return settings.DATABASE_REPLICA_STICKY_COOKIE in request.COOKIES


def _replica_answers() -> bool:
    replica = connections[REPLICA]
    try:
        # ensure_connection() without its test-runner guard (tests add this alias while
        # they run, which Django's TestCase refuses through ensure_connection only).
        if replica.connection is None:
            with replica.wrap_database_errors:
                replica.connect()
    except OperationalError:
        log.warning("replica unavailable: reading the primary", exc_info=True)
        return False
    return True


def _use_replica(request) -> bool:
    return (
        request.method in SAFE_METHODS
        and replica_configured()
        and not wrote_recently(request)
        and _replica_answers()
    )


def replica_reads(view: Callable) -> Callable:
    """Run a read-only function view's reads on the replica, unless this client wrote
    recently. (DRF views: ReplicaReadsMixin.)"""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        # Who is asking, and with which rights, is read from the primary before the
        # switch: a role taken away or an account locked a moment ago counts at once.
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018 - evaluates the lazy user now
        if not _use_replica(request):
            return view(request, *args, **kwargs)
        token = _read_alias.set(REPLICA)
        try:
            response = view(request, *args, **kwargs)
            # A template response renders (and so queries) after the view returns.
            if callable(getattr(response, "render", None)) and not getattr(
                response, "is_rendered", True
            ):
                response.render()
            return response
        finally:
            _read_alias.reset(token)

    return wrapper


class ReplicaReadsMixin:
    """For a DRF view (before APIView/ViewSet in the bases): authentication, permissions
    and throttles run on the primary (`initial`), the handler's reads on the replica."""

    _replica_token: contextvars.Token | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if _use_replica(request):
            self._replica_token = _read_alias.set(REPLICA)

    def finalize_response(self, request, response, *args, **kwargs):
        # Called by dispatch after the handler, and after an exception was handled.
        if self._replica_token is not None:
            _read_alias.reset(self._replica_token)
            self._replica_token = None
        return super().finalize_response(request, response, *args, **kwargs)


class RecentWriteMiddleware:
    """Marks a client that just wrote, so its replica reads go to the primary for
    DATABASE_REPLICA_STICKY_SECONDS (longer than the replica's usual lag)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method not in SAFE_METHODS
            and response.status_code < 400
            and replica_configured()
        ):
            response.set_cookie(
                settings.DATABASE_REPLICA_STICKY_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_STICKY_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
