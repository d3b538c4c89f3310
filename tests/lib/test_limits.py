"""Each input limit has one definition (the model field, or one setting), and the form,
the serializer, the page's help text and the service all derive it. On the main branch
before issue 11 the report note was 1,000 characters in the form and 2,000 in the
serializer and the model; the tree count and distance had three sets of bounds; the scan
was 8 MB in the form and 15 MB in the setting; the front-door distance had a second
default in the assignment page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from houhu.lib.limits import bounds, max_length
from patrols.forms import ReportForm
from patrols.models import Report, ReportEvent
from patrols.serializers import ActionSerializer, ReportSubmitSerializer
from pledges.compact import scans
from pledges.compact.forms import PaperSigningForm
from pledges.responsibility import services as responsibility
from tests.patrols.factories import build_grid

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _page(client, user, url: str) -> str:
    client.force_login(user)
    with translation.override("en"):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_report_note_has_one_limit_in_model_serializers_form_page_and_workspace(client):
    n = max_length(Report, "note")
    assert n == max_length(ReportEvent, "note") == 2000
    assert ReportSubmitSerializer().fields["note"].max_length == n
    assert ActionSerializer().fields["note"].max_length == n
    assert ActionSerializer().fields["reason"].max_length == n
    assert ReportForm().fields["note"].max_length == n
    g = build_grid()
    page = _page(client, g.villager, reverse("patrols:report_new"))
    assert f'maxlength="{n}"' in page
    assert f"At most {n} characters." in page
    workspace = _page(client, g.staff, reverse("patrols:workspace"))
    config = re.search(r'id="patrols-config"[^>]*>(.*?)</script>', workspace, re.S).group(1)
    assert json.loads(config)["limits"]["note"] == n


@pytest.mark.parametrize("field", ["tree_count", "tree_distance_m"])
def test_tree_bounds_are_the_models_in_serializer_form_and_page(client, field):
    low, high = bounds(Report, field)
    assert low is not None and high is not None
    serializer = ReportSubmitSerializer().fields[field]
    assert (serializer.min_value, serializer.max_value) == (low, high)
    form = ReportForm().fields[field]
    assert (form.min_value, form.max_value) == (low, high)
    page = _page(client, build_grid().villager, reverse("patrols:report_new"))
    tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', page).group(0)
    assert f'min="{low}"' in tag and f'max="{high}"' in tag
    hint = re.search(rf'data-limit="{field}">([^<]*)<', page).group(1)
    assert f"From {low} to {high}" in hint


def test_trees_removed_bounds_are_the_models_in_serializer_and_workspace(client):
    low, high = bounds(Report, "trees_removed")
    field = ActionSerializer().fields["trees_removed"]
    assert (field.min_value, field.max_value) == (low, high)
    workspace = _page(client, build_grid().staff, reverse("patrols:workspace"))
    config = re.search(r'id="patrols-config"[^>]*>(.*?)</script>', workspace, re.S).group(1)
    assert json.loads(config)["limits"]["trees_removed"] == [low, high]


def test_the_service_refuses_nothing_the_boundary_let_through():
    # services.py no longer re-parses a submission: no bounds of its own.
    text = (ROOT / "patrols" / "services.py").read_text()
    assert "clean_submission" not in text and "_number(" not in text and "2000" not in text


def test_the_scan_size_is_one_setting_for_intake_form_and_help_text():
    mb = settings.PLEDGES_SCAN_MAX_BYTES / (1024 * 1024)
    assert scans.limits().max_bytes == settings.PLEDGES_SCAN_MAX_BYTES
    with translation.override("en"):
        assert f"at most {mb:g} MB" in str(PaperSigningForm().fields["scan"].help_text)
    for path in (ROOT / "pledges").rglob("*.py"):
        assert "MAX_SCAN_BYTES" not in path.read_text(), path


def test_the_assignment_page_states_the_front_door_distance_the_service_uses(client, settings):
    from tests.pledges.factories import World

    settings.PLEDGES_FRONT_DOOR_MAX_DISTANCE_M = 42.0
    world = World()
    assert responsibility.front_door_max_distance_m() == 42.0
    page = _page(client, world.m1, reverse("pledges:assign_map"))
    assert "nearest segment within 42 m" in page
    # ...and nothing else in the app states a distance of its own.
    for path in (ROOT / "pledges").rglob("*.py"):
        assert "PLEDGES_FRONT_DOOR_MAX_DISTANCE_M', " not in path.read_text(), path
