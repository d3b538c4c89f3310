"""Production settings pass Django's deployment checklist and refuse to start without secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "houhu.settings.prod", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="x" * 20 + "-production-secret-key-for-the-check-" + "y" * 20,
        DJANGO_ALLOWED_HOSTS="houhu.example.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_a_malformed_boolean_setting_is_refused_with_its_name():
    result = _manage("check", DJANGO_SECRET_KEY="k" * 60, DJANGO_SECURE_SSL_REDIRECT="maybe")
    assert result.returncode != 0
    assert "DJANGO_SECURE_SSL_REDIRECT='maybe' is not a boolean" in result.stderr


def test_the_plain_http_switch_of_make_run_is_what_check_deploy_flags():
    """HOUHU_PLAIN_HTTP=1 (make run on http://127.0.0.1) drops the HTTPS redirect and the
    Secure cookies; without it the production settings keep them (the test above)."""
    result = _manage(
        "check",
        "--deploy",
        DJANGO_SECRET_KEY="x" * 20 + "-production-secret-key-for-the-check-" + "y" * 20,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        HOUHU_PLAIN_HTTP="1",
    )
    flagged = result.stdout + result.stderr
    for check in ("security.W008", "security.W012", "security.W016"):  # redirect, cookies
        assert check in flagged, flagged
