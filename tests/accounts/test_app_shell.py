"""The villager app's shell: the web-app manifest and the site's service worker."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from PIL import Image

pytestmark = pytest.mark.django_db


def _worker_config(body: str) -> dict:
    return json.loads(re.search(r"var CONFIG = (\{.*?\});\n", body)[1])


def test_manifest_is_chinese_installable_and_its_icons_exist():
    response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    data = json.loads(response.content)
    assert data["name"] == "后湖护线台账"
    assert data["start_url"] == "/" and data["scope"] == "/"
    assert data["display"] == "standalone"
    assert data["theme_color"] == "#0b6e4f"
    sizes = set()
    for icon in data["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon["src"]
        with Image.open(path) as img:
            assert img.format == "PNG"
            assert f"{img.width}x{img.height}" == icon["sizes"]
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    assert any(i["purpose"] == "maskable" for i in data["icons"])


def test_worker_is_served_from_the_root_and_keeps_every_villager_page():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    config = _worker_config(response.content.decode())
    assert set(config["pages"]) == {
        reverse("accounts:home"),
        reverse("pledges:my_compact"),
        reverse("pledges:my_responsibility"),
        reverse("patrols:report_new"),
        reverse("patrols:my_reports"),
    }
    assert "/patrols/mine/" in config["prefixes"]
    assert "/static/patrols/outbox.js" in config["workerScripts"]
    assert "/static/css/houhu.css" in config["assets"]
    # No basemap configured: no tile is cached.
    assert config["tiles"]["prefixes"] == []


def test_a_configured_basemap_has_its_tiles_cached_within_a_bound(settings):
    settings.LEAFLET_CONFIG = {
        **settings.LEAFLET_CONFIG,
        "TILES": [
            ("t", "https://t{s}.example.cn/w?TILEMATRIX={z}&TILEROW={y}", {"subdomains": "01"})
        ],
    }
    settings.HOUHU_OFFLINE_TILES = 50
    config = _worker_config(Client().get("/sw.js").content.decode())
    assert config["tiles"] == {
        "prefixes": ["https://t0.example.cn/w?TILEMATRIX=", "https://t1.example.cn/w?TILEMATRIX="],
        "maxEntries": 50,
    }


def test_worker_version_changes_when_a_kept_file_changes(settings, tmp_path):
    def version() -> str:
        return _worker_config(Client().get("/sw.js").content.decode())["version"]

    before = version()
    (tmp_path / "patrols").mkdir()
    (tmp_path / "patrols" / "report.js").write_text("/* a new version */")
    settings.STATICFILES_DIRS = [tmp_path, *settings.STATICFILES_DIRS]
    finders.get_finder.cache_clear()
    try:
        after = version()
    finally:
        finders.get_finder.cache_clear()
    assert before != after


def test_pages_link_the_manifest_and_the_csp_allows_worker_and_manifest(client):
    response = client.get(reverse("accounts:login"))
    html = response.content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    csp = response["Content-Security-Policy"]
    assert "worker-src 'self'" in csp and "manifest-src 'self'" in csp
    assert "unsafe-inline" not in csp.replace("style-src-attr 'unsafe-inline'", "")
