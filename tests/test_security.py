"""Browser policies and the rules that keep user text out of HTML, checked on the sources
and on the answers (the browser side is tests/e2e/test_stored_xss.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from houhu.accounts.models import User
from houhu.settings.base import _tile_sources
from houhu.settings.env import env_rate
from tests.factories import UserFactory
from tests.grid.factories import build_world

ROOT = Path(__file__).resolve().parent.parent
APPS = ["houhu", "patrols", "pledges", "stats"]


def _files(pattern: str) -> list[Path]:
    found = []
    for app in APPS:
        found += [p for p in (ROOT / app).rglob(pattern) if "vendor" not in p.parts]
    assert found
    return found


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_templates_hold_no_inline_script_handler_or_style_and_mark_nothing_safe():
    offences = []
    for path in _files("*.html"):
        text = re.sub(r"{% comment %}.*?{% endcomment %}|{#.*?#}", "", path.read_text(), flags=re.S)
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",  # inline script (json_script writes its own)
            r"\son[a-z]+\s*=",  # inline event handler
            r"<style\b",
            r"\|\s*safe\b",
            r"autoescape\s+off",
            r"javascript:",
        ):
            offences += [
                f"{path.relative_to(ROOT)}: {m.group(0)}" for m in re.finditer(pattern, text)
            ]
    assert not offences, offences


def test_scripts_never_parse_text_as_html_outside_the_one_helper():
    helper = ROOT / "houhu" / "static" / "js" / "houhu-dom.js"
    offences = []
    for path in _files("*.js"):
        # Comments may name what they forbid.
        code = re.sub(r"/\*.*?\*/|(?<![:\"'])//[^\n]*", "", path.read_text(), flags=re.S)
        checks = [
            r"\.innerHTML\s*=(?!\s*(\"\"|'')\s*[;,)])",  # clearing with "" is the one allowed use
            r"\.outerHTML\s*=",
            r"insertAdjacentHTML",
            r"document\.write",
            r"\beval\(",
            r"new Function\(",
        ]
        if path != helper:
            checks += [r"\.bindTooltip\(", r"\.bindPopup\(", r"\.setContent\("]
        for pattern in checks:
            offences += [
                f"{path.relative_to(ROOT)}: {m.group(0)}" for m in re.finditer(pattern, code)
            ]
    assert not offences, offences


def test_every_page_loads_the_dom_helper_first():
    base = (ROOT / "houhu" / "templates" / "base.html").read_text()
    head = base.split("</head>")[0]
    assert head.index("js/houhu-dom.js") < head.index("{% block head %}")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/admin/login/", "/api/docs/", "/api/schema/"])
def test_csp_referrer_and_permissions_policies_on_every_kind_of_page(path):
    response = Client().get(path)
    csp = _directives(response["Content-Security-Policy"])
    assert csp["script-src"][0] == "'self'"
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in csp[directive] and "'unsafe-eval'" not in csp[directive]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["style-src-attr"] == ["'unsafe-inline'"]
    assert response["Referrer-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    assert "geolocation=(self)" in policy and "camera=(self)" in policy
    assert "microphone=()" in policy and "payment=()" in policy


@pytest.mark.django_db
def test_swagger_ui_has_no_inline_script_and_its_start_up_script_is_a_file():
    staff = UserFactory(role=User.Role.STAFF)
    client = Client()
    client.force_login(staff)
    page = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and all("src=" in s for s in scripts), scripts
    start = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', page).group(1)
    script = client.get(start.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_leaflet_admin_widget_scripts_carry_the_nonce_of_the_header():
    world = build_world()
    admin = UserFactory(role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    response = client.get(f"/admin/grid/district/{world.d1.pk}/change/")
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    inline = re.findall(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>", response.content.decode()
    )
    assert inline, "django-leaflet's widget writes inline scripts"
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline), inline


@pytest.mark.django_db
def test_pages_without_inline_code_get_no_nonce():
    csp = Client().get("/login/")["Content-Security-Policy"]
    assert "nonce-" not in csp


def test_basemap_tile_origins_are_allowed_as_images_and_nothing_more():
    from houhu.settings.base import _leaflet_tiles

    assert _tile_sources(_leaflet_tiles("none", "")) == []
    assert _tile_sources(_leaflet_tiles("osm", "")) == ["https://tile.openstreetmap.org"]
    assert _tile_sources(_leaflet_tiles("tianditu", "k")) == ["https://*.tianditu.gov.cn"]


@pytest.mark.parametrize("bad", ["60", "0/hour", "ten/hour", "60/fortnight", "-1/day"])
def test_a_malformed_throttle_rate_is_refused_with_its_name(monkeypatch, bad):
    monkeypatch.setenv("HOUHU_THROTTLE_REPORTS", bad)
    with pytest.raises(ImproperlyConfigured, match="HOUHU_THROTTLE_REPORTS"):
        env_rate("HOUHU_THROTTLE_REPORTS", "60/hour")


def test_a_well_formed_throttle_rate_is_read(monkeypatch):
    monkeypatch.setenv("HOUHU_THROTTLE_REPORTS", "500/hour")
    assert env_rate("HOUHU_THROTTLE_REPORTS", "60/hour") == "500/hour"
