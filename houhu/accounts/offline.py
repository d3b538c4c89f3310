"""What the villager app keeps on the phone for use with no signal, registered by the apps
(in their AppConfig.ready) the way home.py registers the home page's cards: this app
serves the one service worker (/sw.js) and never imports the apps above it.

- `pages`: URL names kept as soon as the villager opens any of their pages (the worker
  fetches the missing ones once), so "report", "my records", the compact and "my
  responsibility" open offline after a single visit;
- `prefixes`: paths kept when visited (one report's page, the data a page fetches);
- `assets`: static files kept ahead of time (the pages' CSS and scripts);
- `worker_scripts`: static scripts the worker imports (the report outbox's sender).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.templatetags.static import static
from django.urls import reverse


@dataclass
class OfflineParts:
    pages: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)
    worker_scripts: list[str] = field(default_factory=list)


_parts: dict[str, OfflineParts] = {}


def register_offline(
    app: str,
    *,
    pages: tuple[str, ...] = (),
    prefixes: tuple[str, ...] = (),
    assets: tuple[str, ...] = (),
    worker_scripts: tuple[str, ...] = (),
) -> None:
    # Keyed by app: a second ready() (tests reloading apps) replaces rather than repeats.
    _parts[app] = OfflineParts(list(pages), list(prefixes), list(assets), list(worker_scripts))


def _all(attr: str) -> list[str]:
    seen: dict[str, None] = {}
    for app in sorted(_parts):
        for item in getattr(_parts[app], attr):
            seen.setdefault(item, None)
    return list(seen)


def page_urls() -> list[str]:
    return [reverse(name) for name in _all("pages")]


def prefixes() -> list[str]:
    return _all("prefixes")


def asset_names() -> list[str]:
    """Static names (not URLs): the worker's version is a digest of their contents."""
    return _all("assets") + _all("worker_scripts")


def asset_urls() -> list[str]:
    return [static(name) for name in _all("assets")]


def worker_script_urls() -> list[str]:
    return [static(name) for name in _all("worker_scripts")]
