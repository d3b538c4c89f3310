"""Template helpers shared by every app's pages.

- `{% url_if_exists "patrols:workspace" as url %}`: apps add their pages independently,
  so the navigation links only to the ones whose URL name exists.
- `{% houhu_map_config %}`: the basemap tiles, centre and zooms of `LEAFLET_CONFIG` as a
  JSON block that `static/js/houhu-map.js` reads, so pages build their map with the same
  settings as django-leaflet's own `{% leaflet_map %}` (none, OSM or Tianditu).
"""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import force_str
from django.utils.html import json_script
from django.utils.safestring import SafeString
from leaflet import app_settings

register = template.Library()


@register.simple_tag
def url_if_exists(name: str, *args, **kwargs) -> str:
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


def map_config() -> dict:
    tiles = app_settings.get("TILES") or []
    return {
        "tiles": [[force_str(label), url, attrs] for (label, url, attrs) in tiles],
        "center": list(app_settings.get("DEFAULT_CENTER") or (30.45, 112.80)),
        "zoom": app_settings.get("DEFAULT_ZOOM") or 11,
        "minZoom": app_settings.get("MIN_ZOOM") or 3,
        "maxZoom": app_settings.get("MAX_ZOOM") or 19,
    }


@register.simple_tag
def houhu_map_config() -> SafeString:
    return json_script(map_config(), "houhu-map-config")
