"""Settings shared by every environment. Environment-specific modules import from here."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_float, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "django_celery_beat",
    "csp",
    "axes",
    "houhu.outbox",
    "houhu.ledger",
    "houhu.accounts",
    "houhu.grid",
    "pledges",
    "patrols",
    "stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every answer, static files included, carries the CSP and Permissions-Policy headers.
    "csp.middleware.CSPMiddleware",
    "houhu.lib.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Map layers are megabytes of GeoJSON on weak rural signal; gzip shrinks them ~5x.
    # (BREACH: Django masks the CSRF token per response, and no secret is echoed in JSON.)
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After a write, this client's reads skip the replica for a few seconds.
    "houhu.lib.db_router.RecentWriteMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a lock-out noted during authentication into the "try again at" answer.
    "axes.middleware.AxesMiddleware",
    # Last, so it sees a view's database error first: 503 + Retry-After, not 500.
    "houhu.lib.db_unavailable.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "houhu.urls"
WSGI_APPLICATION = "houhu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "houhu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# One database for development, tests and production: PostGIS. The default points at the
# private cluster that scripts/services.sh starts; DATABASE_URL overrides it.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", "postgis://houhu@127.0.0.1:54329/houhu"),
        engine="django.contrib.gis.db.backends.postgis",
    )
}
# PostgreSQL's JIT added ~80 ms to small map-layer queries on freshly loaded tables and
# never paid back on queries of this size.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Which process holds a connection, in pg_stat_activity (deploy/supervisord.conf names
# houhu-web, houhu-worker, houhu-beat, houhu-relay).
DATABASES["default"]["OPTIONS"]["application_name"] = env_str("DATABASE_APPLICATION_NAME", "houhu")


def database_connections(databases: dict, *, pool_size: int) -> None:
    """Reuse connections: reconnecting per request cost 20-30 ms per POST here.

    pool_size > 0: psycopg's pool (Django 5.1+), at most `pool_size` connections per
    process; Django then needs CONN_MAX_AGE = 0 (a request returns its connection to the
    pool). The server's processes x pool_size bound what the app holds (docs/operations.md).
    Every borrowed connection is checked first, so a PostgreSQL restart costs no request
    after it. pool_size 0: one persistent connection per thread, for processes with few
    threads (Celery worker, beat, relay, tests), checked at the start of each request.
    """
    db = databases["default"]
    if pool_size > 0:
        db["CONN_MAX_AGE"] = 0
        # With a pool, Django turns this into psycopg's check of each borrowed connection.
        db["CONN_HEALTH_CHECKS"] = True
        db["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": pool_size,
            # A request waits this long for a free connection before failing (503).
            "timeout": env_float("DATABASE_POOL_TIMEOUT", 10.0),
        }
    else:
        db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
        db["CONN_HEALTH_CHECKS"] = True
        db["OPTIONS"].pop("pool", None)


# DATABASE_POOL_SIZE: connections per process (0: no pool). scripts/run.sh gives the web
# server its number of threads, and the background processes 0.
database_connections(DATABASES, pool_size=env_int("DATABASE_POOL_SIZE", 0))


def replica_database(default: dict, url: str) -> dict:
    """The streaming replica: the primary's settings (pool, options) at another address."""
    replica = copy.deepcopy(default)
    parsed = dj_database_url.parse(url)
    for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT"):
        replica[key] = parsed[key]
    return replica


# A streaming replica (docs/scale.md; `scripts/services.sh replica` starts one on this
# machine): the views that opt in read from it (houhu/lib/db_router.py), everything else
# and every write uses `default`. A client that wrote in the last
# DATABASE_REPLICA_STICKY_SECONDS reads the primary (a cookie of that name).
if env_str("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = replica_database(DATABASES["default"], env_str("DATABASE_REPLICA_URL"))
DATABASE_ROUTERS = ["houhu.lib.db_router.ReplicaRouter"]
DATABASE_REPLICA_STICKY_SECONDS = env_int("DATABASE_REPLICA_STICKY_SECONDS", 10)
DATABASE_REPLICA_STICKY_COOKIE = "houhu_wrote"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out (account, address) before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "houhu.accounts.backends.UsernameOrPhoneBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Simplified Chinese first: villagers read it; English is the second language.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "houhu" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "houhu" / "static"]
# Uploads are never served as public files: no /media/ route, in DEBUG or not; the views
# using houhu/lib/protected_files.py check who may read them. Nothing may emit a `.url` of
# an upload (tests search every answer for "/media/").
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("HOUHU_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Behind nginx: the internal location's prefix (e.g. /protected/) that aliases MEDIA_ROOT;
# the views then answer with X-Accel-Redirect and nginx sends the bytes. Empty: Django does.
HOUHU_X_ACCEL_REDIRECT = env_str("HOUHU_X_ACCEL_REDIRECT", "")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # No HTTP Basic: it hashes a password on every request and bypasses the log-in
        # throttle. Scripts get a token from /api/auth/token/ (throttled like the log-in page).
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Bodies must be JSON objects; malformed or too deep JSON is a 400 (houhu.lib.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "houhu.lib.parsers.ObjectJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # ?limit= capped at HOUHU_API_MAX_LIMIT, ?offset= at the row count (houhu.lib.pagination).
    "DEFAULT_PAGINATION_CLASS": "houhu.lib.pagination.CappedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    # Documents the one error body on every operation (houhu.lib.schema).
    "DEFAULT_SCHEMA_CLASS": "houhu.lib.schema.AutoSchema",
    # Every app's domain errors answer {"detail", "code", "<field>"} with their own status.
    "EXCEPTION_HANDLER": "houhu.lib.errors.exception_handler",
    # Writes are limited per user (docs/security.md); reads are not. Report submissions
    # have their own rule (patrols.throttles): replays of a stored client_id never count.
    "DEFAULT_THROTTLE_CLASSES": ["houhu.lib.throttling.UserWriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "writes": env_rate("HOUHU_THROTTLE_WRITES", "60/minute"),
        "reports": env_rate("HOUHU_THROTTLE_REPORTS", "60/hour"),
    },
}
# The most rows one page of any API list carries, whatever ?limit= asks for.
HOUHU_API_MAX_LIMIT = env_int("HOUHU_API_MAX_LIMIT", 1000)
SPECTACULAR_SETTINGS = {
    "TITLE": "Houhu patrol ledger API",
    "DESCRIPTION": "Grid, lines, households, village compact and patrol reports of the "
    "Houhu power supply station. Geometry is WGS-84 (EPSG:4326) GeoJSON.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from local static files: sites have no internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from swagger.io: sites are offline and the CSP allows no such image.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- Maps ---------------------------------------------------------------------------
# The basemap is a setting: "none" (vector layers on a plain background, works offline and
# in tests), "osm" or "tianditu" (needs HOUHU_TIANDITU_KEY). Tianditu uses CGCS2000, which
# matches the stored WGS-84 to centimetres, so no shift is needed for either.
HOUHU_BASEMAP = env_str("HOUHU_BASEMAP", "none")
HOUHU_TIANDITU_KEY = env_str("HOUHU_TIANDITU_KEY", "")
# Basemap tiles a phone keeps for use without signal (the service worker's tile cache):
# at most this many, the oldest dropped first. 600 tiles of ~15 KB is ~9 MB, a village and
# its fields at zooms 14-18.
HOUHU_OFFLINE_TILES = env_int("HOUHU_OFFLINE_TILES", 600)


def _leaflet_tiles(basemap: str, tianditu_key: str) -> list:
    if basemap == "none":
        return []
    if basemap == "osm":
        return [
            (
                "OpenStreetMap",
                "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                {"attribution": "&copy; OpenStreetMap contributors", "maxZoom": 19},
            )
        ]
    if basemap == "tianditu":
        url = (
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + tianditu_key
        )
        return [
            (
                "天地图",
                url,
                {"subdomains": "01234567", "attribution": "天地图", "maxZoom": 18},
            )
        ]
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"HOUHU_BASEMAP={basemap!r}: use none, osm or tianditu.")


LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (30.45, 112.80),
    "DEFAULT_ZOOM": 11,
    "MIN_ZOOM": 8,
    "MAX_ZOOM": 19,
    "TILES": _leaflet_tiles(HOUHU_BASEMAP, HOUHU_TIANDITU_KEY),
    "RESET_VIEW": False,
}

# --- Protection zones (电力设施保护条例 art. 10) ------------------------------------------
# Per voltage level in kV: horizontal zone either side of the outer conductor in ordinary
# areas, the minimum in dense built-up areas, the tree-to-conductor vertical clearance
# (provincial rule, ~3 m for 1-10 kV) and the no-digging radius around towers/stay wires.
# Local rules vary, so they are settings, not constants in code.
HOUHU_PROTECTION_ZONES = {
    10: {"zone_m": 5.0, "dense_min_m": 1.5, "tree_clearance_m": 3.0, "no_dig_m": 10.0},
    35: {"zone_m": 10.0, "dense_min_m": 3.0, "tree_clearance_m": 4.0, "no_dig_m": 10.0},
    110: {"zone_m": 10.0, "dense_min_m": 4.0, "tree_clearance_m": 4.5, "no_dig_m": 10.0},
    220: {"zone_m": 15.0, "dense_min_m": 5.0, "tree_clearance_m": 5.5, "no_dig_m": 10.0},
    500: {"zone_m": 20.0, "dense_min_m": 8.5, "tree_clearance_m": 7.0, "no_dig_m": 10.0},
}
HOUHU_KITE_DISTANCE_M = env_float("HOUHU_KITE_DISTANCE_M", 300.0)

# --- Patrol reports (patrols app) -------------------------------------------------------
# Photos: the size cap is checked before Pillow decodes anything; the pixel cap turns a
# decompression bomb into a clear error; stored copies are re-encoded at most this size.
PATROLS_PHOTO_MAX_BYTES = env_int("PATROLS_PHOTO_MAX_BYTES", 8 * 1024 * 1024)
PATROLS_PHOTO_MAX_PIXELS = env_int("PATROLS_PHOTO_MAX_PIXELS", 40_000_000)
PATROLS_PHOTO_MAX_DIMENSION = env_int("PATROLS_PHOTO_MAX_DIMENSION", 2048)
PATROLS_THUMBNAIL_SIZE = env_int("PATROLS_THUMBNAIL_SIZE", 320)
PATROLS_MAX_PHOTOS = env_int("PATROLS_MAX_PHOTOS", 6)
# An open report of the same kind closer than this is offered as a merge candidate.
PATROLS_MERGE_DISTANCE_M = env_float("PATROLS_MERGE_DISTANCE_M", 30.0)
# The staff workspace's map shows open reports and those closed in the last N days (the
# same 30 days as patrols.figures.PATROL_WINDOW by default); older ones are found by the
# search list. Keeps the map's payload bounded however many years the ledger holds.
PATROLS_MAP_CLOSED_DAYS = env_int("PATROLS_MAP_CLOSED_DAYS", 30)
# A report further than this from every segment is kept without a segment.
PATROLS_SNAP_RADIUS_M = env_float("PATROLS_SNAP_RADIUS_M", 200.0)
# The village of a report is the nearest household's within this distance.
PATROLS_VILLAGE_RADIUS_M = env_float("PATROLS_VILLAGE_RADIUS_M", 1000.0)
# Service level per hazard kind: hours to clear a hazard once it is confirmed (or
# reopened). The one definition of "overdue for clearing": the work queue's timers, the
# workspace counts, the dashboard and the exports all read it through patrols.figures.
# Per kind, not per station: a pole about to fall cannot wait as long as a tree growing
# towards a line, and every station works to the same company rules. Hazard kinds only
# (a construction is stopped or permitted, never "cleared"); patrols.figures.clear_hours
# refuses a missing kind or a value below one hour with a message naming the setting.
PATROLS_SLA_HOURS = {"tree": 168, "behaviour": 72, "damage": 48, "other": 168}
# Email the grid manager / reporter as well as the in-app notification (needs a real
# EMAIL_BACKEND; off by default because sites often have no mail server).
PATROLS_EMAIL_NOTIFICATIONS = env_bool("PATROLS_EMAIL_NOTIFICATIONS", False)
# WeCom (企业微信) group robots (patrols.GridRobot, one per grid, set in the admin): their
# webhook addresses must start with one of these (the server posts there). The link in
# each message starts with HOUHU_SITE_URL, the address people open the ledger at.
PATROLS_WECOM_URL_PREFIXES = env_list(
    "PATROLS_WECOM_URL_PREFIXES", ["https://qyapi.weixin.qq.com/cgi-bin/webhook/send?"]
)
PATROLS_WECOM_TIMEOUT_SECONDS = env_float("PATROLS_WECOM_TIMEOUT_SECONDS", 10.0)
HOUHU_SITE_URL = env_str("HOUHU_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# SMS: the dotted path of a function send(*, phone, text, key) wrapping a provider; empty,
# no SMS (the hook is described in patrols/notifications.py).
PATROLS_SMS_SENDER = env_str("PATROLS_SMS_SENDER", "")
# Four eyes (patrols.workflow): what a verification of a cleared hazard must bring from the
# site. A photo counts when the phone's position (or the photo's own GPS) is within
# max_distance_m of the hazard; a named second person present counts where allowed. Per
# station by its code; "default" for the others.
PATROLS_VERIFY_EVIDENCE = {
    "default": {"max_distance_m": 50.0, "second_person_allowed": True},
}
# Stable OpenAPI enum names for the report choices (otherwise "kind"/"status" collide with
# other apps' fields and get hashed names the front end cannot rely on).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "ReportKindEnum": "patrols.models.Report.Kind",
        "ReportStatusEnum": "patrols.models.Report.Status",
        "CompactScopeEnum": "pledges.models.Compact.Scope",
        "CompactVersionStatusEnum": "pledges.models.CompactVersion.Status",
        "ClauseKindEnum": "pledges.models.Clause.Kind",
        "PledgeStatusEnum": "pledges.models.Pledge.Status",
        "AssignmentScopeEnum": "pledges.models.Assignment.Scope",
        "SnapshotRunStatusEnum": "stats.models.SnapshotRun.Status",
    }
)

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:63799/0")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "houhu")
# Every task is idempotent (an upsert per scope and period, a skip when done): a task
# whose worker died is run again rather than lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest task (a county's back-fill, minutes) is cut at CELERY_TASK_TIME_LIMIT; Redis
# hands an unacknowledged message to another worker after the visibility timeout, which
# must therefore be longer, and short enough that a killed worker's task runs again within
# minutes (kombu's default is an hour).
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 60),
    # A broker that does not answer fails a publish in seconds, not minutes.
    "socket_connect_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # the worker waits for Redis, however long
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TIMEZONE = TIME_ZONE
# django-celery-beat's database scheduler, plus beat's heartbeat for /health/.
CELERY_BEAT_SCHEDULER = "houhu.outbox.beat:HeartbeatScheduler"
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXPIRES = 24 * 3600
# The statistics' tasks go to a queue of their own (houhu.celery.route_task), consumed by
# workers of their own (`stats@%h` in deploy/supervisord.conf, any number of machines):
# a county's back-fill never delays the default queue, and adding stats workers shortens
# a refresh, which fans out as one task per station and county (stats/fanout.py;
# STATS_FANOUT=0 runs it as one task). docs/scale.md.
CELERY_TASK_ROUTES = ("houhu.celery.route_task",)
STATS_QUEUE = env_str("CELERY_STATS_QUEUE", "stats")
STATS_FANOUT = env_bool("STATS_FANOUT", True)

# --- Compliance statistics (stats app) --------------------------------------------------
# The district compliance score is a weighted mean of rates in [0, 1] (see stats/score.py,
# shown on the dashboard); weights need not sum to 1, they are normalised.
STATS_SCORE_WEIGHTS = {
    "pledge_rate": 0.25,
    "responsibility_rate": 0.20,
    "patrol_coverage": 0.20,
    "resolution_rate": 0.20,
    "timeliness": 0.15,
}
# A district with fewer reports than this in a period is "not enough data", never ranked.
STATS_MIN_REPORTS = env_int("STATS_MIN_REPORTS", 5)
# Default for the confirmation target staff set per station in the admin (ServiceTarget).
STATS_CONFIRM_WITHIN_HOURS = env_int("STATS_CONFIRM_WITHIN_HOURS", 24)
# A burst of report/pledge changes in one district schedules one refresh this much later.
STATS_DEBOUNCE_SECONDS = env_int("STATS_DEBOUNCE_SECONDS", 60)

# --- Background jobs (houhu.outbox) ------------------------------------------------------
# The relay sleeps at most this long between passes (a NOTIFY at commit wakes it earlier).
OUTBOX_POLL_SECONDS = env_float("OUTBOX_POLL_SECONDS", 5.0)
# A job claimed by a relay that died (no lock held) is taken over after this long.
OUTBOX_CLAIM_GRACE_SECONDS = env_float("OUTBOX_CLAIM_GRACE_SECONDS", 30.0)
# A failed job is retried after 5 s, 10 s, 20 s ... at most this long apart, so work held
# up by an outage (SMTP, the broker) follows within a minute or two of its return.
OUTBOX_RETRY_SECONDS = 5.0
OUTBOX_MAX_RETRY_SECONDS = env_float("OUTBOX_MAX_RETRY_SECONDS", 60.0)

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "houhu-ledger@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}

# Debian's GDAL 3.6 triggers gis.W001 (GDAL older than 3.9); the functions we use exist.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- Village compact and responsibility (pledges) ---------------------------------------
# Pledges are renewed yearly unless a compact version sets its own period.
PLEDGES_RENEWAL_DAYS = env_int("PLEDGES_RENEWAL_DAYS", 365)
# A household's front door is the nearest segment within this distance (metres).
PLEDGES_FRONT_DOOR_MAX_DISTANCE_M = env_float("PLEDGES_FRONT_DOOR_MAX_DISTANCE_M", 100.0)
# Photos of signed sheets (the same intake as report photos, houhu/lib/images.py): refused
# above this size (the paper form, the API and the help text all read it) or this many
# pixels, re-encoded to fit a square of this side.
PLEDGES_SCAN_MAX_BYTES = env_int("PLEDGES_SCAN_MAX_BYTES", 8 * 1024 * 1024)
PLEDGES_SCAN_MAX_PIXELS = env_int("PLEDGES_SCAN_MAX_PIXELS", 40_000_000)
PLEDGES_SCAN_MAX_SIDE_PX = env_int("PLEDGES_SCAN_MAX_SIDE_PX", 2400)
PLEDGES_CSV_MAX_ROWS = env_int("PLEDGES_CSV_MAX_ROWS", 20000)

# --- Security: log-in throttling, write throttling, browser policies (docs/security.md) ---
# django-axes counts failed log-ins per (account, address): the HTML log-in, /admin/login/
# and /api/auth/token/ all authenticate through it. Per account *and* address, so a guesser
# elsewhere cannot lock the real villager out; the typed phone number or username is
# mapped to the account first (houhu.accounts.lockout.login_key), so both count together.
AXES_FAILURE_LIMIT = env_int("HOUHU_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("HOUHU_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "houhu.accounts.lockout.login_key"
AXES_CLIENT_IP_CALLABLE = "houhu.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "houhu.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Attempts during a lock-out are refused unread and do not push the end of the lock-out
# further: the time the page promises holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Behind a reverse proxy the client's address is the N-th from the right in
# X-Forwarded-For (N = the number of proxies you run). 0 trusts only REMOTE_ADDR: a
# forged header must never buy a guesser a fresh address.
HOUHU_TRUSTED_PROXIES = env_int("HOUHU_TRUSTED_PROXIES", 0)


def _redis_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


# The write throttle's counters live in Redis (db 1 of the broker's server unless
# HOUHU_CACHE_URL says otherwise), so every server process counts against one limit. The
# throttle lets writes through if Redis is down (houhu.lib.throttling): a flood guard must
# not stop the ledger.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "houhu.lib.redis_cache.SharedClientRedisCache",
        "LOCATION": env_str("HOUHU_CACHE_URL", _redis_db(CELERY_BROKER_URL, 1)),
        "KEY_PREFIX": "houhu-throttle",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    },
    # Built vector tiles and their per-grid versions (houhu.lib.tilecache): a Redis
    # database of their own (db 2 of the broker's server unless HOUHU_TILE_CACHE_URL says
    # otherwise), shared by every server process, so one build serves every colleague
    # with the same view. Cleared as a whole by `tilecache.clear()`.
    "tiles": {
        "BACKEND": "houhu.lib.redis_cache.SharedClientRedisCache",
        "LOCATION": env_str("HOUHU_TILE_CACHE_URL", _redis_db(CELERY_BROKER_URL, 2)),
        "KEY_PREFIX": "houhu-tiles",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    },
    # Signed-in sessions, cached in front of the database (houhu.lib.sessions): db 3.
    "sessions": {
        "BACKEND": "houhu.lib.redis_cache.SharedClientRedisCache",
        "LOCATION": env_str("HOUHU_SESSION_CACHE_URL", _redis_db(CELERY_BROKER_URL, 3)),
        "KEY_PREFIX": "houhu-session",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    },
}
SESSION_ENGINE = "houhu.lib.sessions"
SESSION_CACHE_ALIAS = "sessions"
# How long a cached session may outlive a log-out made while Redis was unreachable.
SESSION_CACHE_SECONDS = env_int("HOUHU_SESSION_CACHE_SECONDS", 300)
# How long a built tile is kept (seconds; 0: never cached). Changes make tiles stale by
# their versions, not by this lifetime: it only bounds the cache's size and the effect of
# a version bump lost to a Redis outage.
HOUHU_TILE_CACHE_SECONDS = env_int("HOUHU_TILE_CACHE_SECONDS", 86400)


def _tile_sources(tiles: list) -> list[str]:
    """The origins of the basemap tiles, for img-src: "https://t{s}.tianditu.gov.cn/..."
    becomes "https://*.tianditu.gov.cn"."""
    sources = []
    for _label, url, _options in tiles:
        parts = urlsplit(url)
        host = parts.netloc
        if "{" in host:
            host = "*." + host.split(".", 1)[1]
        sources.append(f"{parts.scheme}://{host}")
    return sorted(set(sources))


# Content-Security-Policy: no inline script anywhere (page data travels in json_script
# blocks, behaviour in static files); the few third-party templates that still write an
# inline <script> or <style> (django-leaflet's admin widget) carry the request's nonce.
# Style *attributes* stay allowed (style-src-attr): they cannot run script, and colour
# swatches and bars are drawn with them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *_tile_sources(LEAFLET_CONFIG["TILES"])],
        "connect-src": [SELF],
        "font-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
# Permissions-Policy (houhu.lib.security): the villager's phone page asks for the position
# and takes photos; nothing else is ever needed, and nothing from another origin may ask.
HOUHU_PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    "camera": ["self"],
    "microphone": [],
    "payment": [],
    "usb": [],
    "serial": [],
    "bluetooth": [],
    "midi": [],
    "accelerometer": [],
    "gyroscope": [],
    "magnetometer": [],
    "display-capture": [],
}
