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
