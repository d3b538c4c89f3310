"""No untranslated text (issue 13): every message of every app has its Simplified Chinese
translation, and the Chinese pages show no English word left over.

The catalogue check extracts the messages as a developer would (`makemessages` on a copy
of each app, merged with the app's .po by msgmerge) and fails on any message that comes
out untranslated or fuzzy: a string added to the code and not to the .po is caught, not
only an empty msgstr."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from houhu.accounts.models import User
from tests.factories import (
    DistrictFactory,
    HouseholdFactory,
    TransformerAreaFactory,
    UserFactory,
    manager_of,
    villager_for,
)

ROOT = Path(__file__).resolve().parent.parent
# App directory -> sub-directories left to their own catalogue.
CATALOGUES = {
    "houhu": ["accounts", "grid", "ledger"],
    "houhu/accounts": [],
    "houhu/grid": [],
    "houhu/ledger": [],
    "pledges": [],
    "patrols": [],
    "stats": [],
}


def _entries(po: str, *flags: str) -> list[str]:
    out = subprocess.run(
        ["msgattrib", "--no-obsolete", *flags, po], capture_output=True, text=True, check=True
    ).stdout
    ids = re.findall(r'^msgid ((?:"[^\n]*"\n?)+)', out, flags=re.M)
    texts = ["".join(re.findall(r'"(.*)"', i)) for i in ids]
    return [t for t in texts if t]  # the header's empty msgid


@pytest.mark.parametrize("app", CATALOGUES)
def test_every_message_of_the_app_has_a_chinese_translation(app, tmp_path):
    copy = tmp_path / "app"
    shutil.copytree(
        ROOT / app,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static", "migrations"),
    )
    for sub in CATALOGUES[app]:
        shutil.rmtree(copy / sub, ignore_errors=True)
    # No settings: makemessages then writes to ./locale of the copy, never to the
    # project's LOCALE_PATHS.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        # django-admin, not `python -m django`: the copy's selectors.py must not shadow
        # the standard library's module of that name.
        [Path(sys.executable).with_name("django-admin"), "makemessages", "-l", "zh_Hans"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    po = str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    missing = _entries(po, "--untranslated") + _entries(po, "--only-fuzzy")
    assert not missing, f"{app}: no zh_Hans translation for {missing}"


# --- English left in the Chinese pages ------------------------------------------------

# Words that are Chinese usage too: proper names read as they are ("Axes": the log-in
# lock-out package's name in the admin; "English": the language switch).
ALLOWED = {"GPS", "WeCom", "English", "OpenStreetMap", "Swagger", "OpenAPI", "EXIF", "Axes"}
WORD = re.compile(r"[A-Za-z]{4,}")
# A time zone's identifier, stated on purpose with every computation time
# (houhu.lib.figures.local_time_label): a code, not an English word.
ZONE = re.compile(r"\b[A-Z][a-z]+/[A-Z][A-Za-z_]+\b")


class _Visible(HTMLParser):
    """The text a reader sees: not scripts, styles, JSON blocks or attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


def _english_words(html: str) -> set[str]:
    parser = _Visible()
    parser.feed(html)
    text = ZONE.sub(" ", " ".join(parser.text))
    return {w for w in WORD.findall(text) if w not in ALLOWED}


@pytest.fixture
def people(db):
    district = DistrictFactory(name="关庙网格", code="G01")
    area = TransformerAreaFactory(district=district, name="关庙一台区")
    household = HouseholdFactory(transformer_area=area, head_name="张大爷")
    # Log-in names of digits, as the villagers' phone numbers: data is not the text checked.
    staff = UserFactory(
        role=User.Role.STAFF, station=district.station, display_name="李员工", username="1001"
    )
    admin = UserFactory(
        username="1002",
        role=User.Role.ADMIN,
        station=district.station,
        is_staff=True,
        is_superuser=True,
        display_name="管理员",
    )
    return {
        "villager": villager_for(household, display_name="张大爷"),
        "manager": manager_of(district, display_name="王经理", username="1003"),
        "staff": staff,
        "admin": admin,
    }


PAGES = {
    "villager": [
        "/",
        "/pledges/",
        "/pledges/me/responsibility/",
        "/patrols/report/",
        "/patrols/mine/",
        "/password/",
    ],
    "manager": ["/patrols/workspace/", "/pledges/staff/", "/villagers/"],
    "staff": ["/map/", "/pledges/staff/compacts/", "/pledges/staff/renewals/"],
    "admin": ["/admin/", "/admin/grid/district/", "/admin/patrols/report/"],
}


@pytest.mark.django_db
def test_chinese_pages_show_no_english_words(people):
    found = {}
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = anonymous.get("/login/")
    found["/login/"] = _english_words(response.content.decode())
    for role, paths in PAGES.items():
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(people[role])
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (role, path, response.status_code)
            found[f"{role} {path}"] = _english_words(response.content.decode())
    found = {page: words for page, words in found.items() if words}
    assert not found, "; ".join(f"{page}: {' '.join(sorted(w))}" for page, w in found.items())
