"""Template helpers shared by every app's pages.

- `{% if user|can:"read_stats" %}`: the page asks the one permissions module
  (houhu.accounts.scopes) whether the user holds a capability; no template decides by role.
- `{{ h.head_name|household_person:user }}`: a household's name or phone, or "—" for a
  reader who may not see it (scopes.PERSONAL_DATA: county leaders).
- `{{ when|local_time }}`: a computation time in the station's local time, zone named.
- `{% houhu_map_config %}`: the basemap tiles, centre and zooms of `LEAFLET_CONFIG` as a
  JSON block that `static/js/houhu-map.js` reads, so pages build their map with the same
  settings as django-leaflet's own `{% leaflet_map %}` (none, OSM or Tianditu), plus the
  map's words (layer names, legend, popups) in the active language.
"""

from __future__ import annotations

from django import template
from django.utils.encoding import force_str
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from leaflet import app_settings

from houhu.accounts import scopes

register = template.Library()


@register.filter
def local_time(value) -> str:
    from houhu.lib.figures import local_time_label

    return local_time_label(value)


# The map script's words (static/js/houhu-map.js), rendered in the active language.
MAP_LABELS = {
    "districts": _("Service grids"),
    "transformer-areas": _("Transformer areas"),
    "lines": _("Lines"),
    "segments": _("Line segments"),
    "households": _("Households"),
    "coverage": _("Coverage: households signed, segments held"),
    "legend": _("Legend"),
    "manager": _("Grid manager"),
    "phone": _("Posted phone"),
    "householdCount": _("Households"),
    "transformerAreaCount": _("Transformer areas"),
    "line": _("Line"),
    "seq": _("Order along the line"),
    "length": _("Length"),
    "metres": pgettext_lazy("unit", "m"),
    "customerNumber": _("Customer number"),
    "headName": _("Head of household"),
    "aquaculture": _("Large aquaculture household"),
    "zoomIn": _("zoom in to see"),
    "loading": _("Loading…"),
    "failed": _("could not load"),
}


def map_labels() -> dict[str, str]:
    return {key: str(value) for key, value in MAP_LABELS.items()}


@register.filter
def can(user, capability: str) -> bool:
    return scopes.can(user, capability)


@register.filter
def household_person(value, user) -> str:
    return value if scopes.sees_households(user) else "—"


def map_config() -> dict:
    tiles = app_settings.get("TILES") or []
    return {
        "tiles": [[force_str(label), url, attrs] for (label, url, attrs) in tiles],
        "center": list(app_settings.get("DEFAULT_CENTER") or (30.45, 112.80)),
        "zoom": app_settings.get("DEFAULT_ZOOM") or 11,
        "minZoom": app_settings.get("MIN_ZOOM") or 3,
        "maxZoom": app_settings.get("MAX_ZOOM") or 19,
        "labels": map_labels(),
    }


@register.simple_tag
def houhu_map_config() -> SafeString:
    return json_script(map_config(), "houhu-map-config")
