"""The villager app's shell: the web-app manifest and the service worker, both served
from the site's root so that the worker's scope covers every villager page (/, /pledges/,
/patrols/) and the phone can put the app on its home screen."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from . import offline

THEME_COLOUR = "#0b6e4f"  # the top bar's colour (houhu.css --accent)
BACKGROUND_COLOUR = "#f6f7f5"
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
)


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> HttpResponse:
    """In the language of the request: a villager installs "后湖护线" in Chinese."""
    data = {
        "id": "/",
        "name": _("Houhu patrol ledger"),
        "short_name": _("Houhu patrol"),
        "lang": get_language(),
        "start_url": reverse("accounts:home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static(name), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for name, sizes, purpose in ICONS
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json; charset=utf-8"
    return response


def assets_version() -> str:
    """A digest of the kept static files' contents: a change to any of them changes the
    worker's text, so the phone installs the new worker and drops the old copies."""
    digest = hashlib.sha256()
    for name in offline.asset_names():
        path = finders.find(name)
        if path:
            with open(path, "rb") as fh:
                digest.update(fh.read())
    return digest.hexdigest()[:12]


def _tile_prefixes() -> list[str]:
    """The basemap's tile URLs (settings.LEAFLET_CONFIG) up to the tile's own placeholders,
    one per subdomain: only these are kept in the bounded tile cache."""
    prefixes = []
    for _name, url, options in settings.LEAFLET_CONFIG.get("TILES", []):
        for sub in options.get("subdomains", "abc") if "{s}" in url else [""]:
            prefixes.append(url.replace("{s}", sub).split("{", 1)[0])
    return prefixes


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served by Django rather than as a static file: a worker's scope is limited to its own
    path, and static files live under /static/."""
    config = {
        "version": assets_version(),
        "static": settings.STATIC_URL
        if settings.STATIC_URL.startswith("/")
        else "/" + settings.STATIC_URL,
        "pages": offline.page_urls(),
        "prefixes": offline.prefixes(),
        "assets": offline.asset_urls(),
        "workerScripts": offline.worker_script_urls(),
        "tiles": {"prefixes": _tile_prefixes(), "maxEntries": settings.HOUHU_OFFLINE_TILES},
        "offlineText": _("No signal, and this page has not been opened on this phone yet."),
        "home": reverse("accounts:home"),
        "homeText": _("My home"),
    }
    body = render_to_string("accounts/sw.js", {"config": json.dumps(config, ensure_ascii=False)})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response
