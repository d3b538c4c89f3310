"""Formatting of the dashboard's figures, and the JSON the dashboard's script reads."""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def query(p, **over) -> str:
    for key, value in list(over.items()):
        if isinstance(value, dt.date):
            over[key] = value.strftime("%Y-%m")
    return p.query(**over)


@register.simple_tag
def figure_value(value, kind: str) -> str:
    if value is None:
        return "\u2013"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "score":
        return number_format(value, 1)
    if kind == "hours":
        return _("%(h)s h") % {"h": number_format(value, 1)}
    return number_format(value, 0, force_grouping=True)


@register.simple_tag
def figure_delta(delta, kind: str) -> str:
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")  # noqa: RUF001 - a real minus
    magnitude = abs(delta)
    if kind == "rate":
        return _("%(sign)s%(v)s pts") % {"sign": sign, "v": f"{magnitude * 100:.1f}"}
    if kind == "hours":
        return _("%(sign)s%(v)s h") % {"sign": sign, "v": number_format(magnitude, 1)}
    if kind == "score":
        return f"{sign}{number_format(magnitude, 1)}"
    return f"{sign}{number_format(magnitude, 0, force_grouping=True)}"


@register.simple_tag
def per_hundred(count: int, households: int) -> str:
    return number_format(count * 100 / households, 1) if households else "\u2013"


@register.simple_tag
def export_links(p, table: str) -> str:
    q = p.query()
    csv_url = reverse("stats:export", args=[table, "csv"]) + "?" + q
    xlsx_url = reverse("stats:export", args=[table, "xlsx"]) + "?" + q
    return format_html(
        '<span class="exports"><a href="{}" download>{}</a> <a href="{}" download>{}</a></span>',
        csv_url,
        _("CSV"),
        xlsx_url,
        _("Excel"),
    )


@register.simple_tag
def stats_js_config(p, map_level) -> dict:
    from stats.figures import LABELS
    from stats.selectors import MEASURES

    m = MEASURES[p.measure]
    return {
        "choroplethUrl": reverse("stats-choropleth"),
        "level": p.level.value,
        "scopeId": p.scope_id,
        "month": p.month.strftime("%Y-%m"),
        "measure": m.key,
        "measureLabel": str(m.label),
        "isRate": m.is_rate,
        "higherIsBetter": m.higher_is_better,
        # Every measure's shape: the map redraws for another one without a page load.
        "measures": {
            k: {"label": str(x.label), "isRate": x.is_rate, "higherIsBetter": x.higher_is_better}
            for k, x in MEASURES.items()
        },
        "mapLevel": str(map_level) if map_level else None,
        "dashboardUrl": reverse("stats:dashboard"),
        "labels": {
            # The figures' own labels (stats.figures.LABELS).
            "score": LABELS["score"],
            "pledge": LABELS["pledge_rate"],
            "responsibility": LABELS["responsibility_rate"],
            "patrol": LABELS["patrol_coverage"],
            "hazards": LABELS["hazards_reported"],
            "open": LABELS["open_hazards"],
            "verified": LABELS["verified"],
            "trees": LABELS["trees_removed"],
            "places": LABELS["tree_places_cleared"],
            "stops": LABELS["construction_stopped"],
            "noData": _("no figure"),
            "notEnough": _("not enough data"),
            "legend": str(m.label),
            "station": _("Station"),
            "loading": _("Loading…"),
            "failed": _("The map could not be loaded."),
            "percent": "%",
        },
    }
