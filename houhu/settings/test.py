"""Test settings: the same PostGIS and Redis as development, never mocks of them."""

from .base import *  # noqa: F403
from .base import DATABASES
from .env import env_str

DEBUG = False
# Each concurrent test run (developers working side by side) may name its own database.
DATABASES["default"]["TEST"] = {"NAME": env_str("HOUHU_TEST_DB", "test_houhu")}
# Fast hashing: tests create many accounts; production keeps PBKDF2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks queued by tests that do not ask for the worker fixture go to a queue that is never
# consumed (tests/conftest.py empties it); the test worker process is given its own queue.
# Not CELERY_TASK_DEFAULT_QUEUE: a shell that runs the app exports that for the dev worker.
CELERY_TASK_DEFAULT_QUEUE = env_str(
    "HOUHU_TEST_TASK_QUEUE", f"{DATABASES['default']['TEST']['NAME']}-unconsumed"
)
# The statistics' queue likewise (the worker fixture names its stats worker's queue).
STATS_QUEUE = env_str("HOUHU_TEST_STATS_QUEUE", CELERY_TASK_DEFAULT_QUEUE)
# The replica (`scripts/services.sh replica`, DATABASE_REPLICA_URL) is no database Django
# could create for the tests: it is a physical copy of the primary, test database
# included. tests/lib/test_db_router.py adds it as an alias while its tests run.
TEST_REPLICA = DATABASES.pop("replica", None)
