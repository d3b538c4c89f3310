"""The one bbox parser: every layer that filters by ?bbox= accepts and refuses the same
boxes with the same message."""

from __future__ import annotations

import pytest
from django.utils import translation

from houhu.lib.bbox import parse_bbox
from houhu.lib.errors import InvalidInput
from tests.patrols.factories import build_grid

pytestmark = pytest.mark.django_db


def test_a_box_is_a_polygon_in_wgs84():
    box = parse_bbox("112.8,30.4,112.9,30.5")
    assert box.srid == 4326 and box.extent == (112.8, 30.4, 112.9, 30.5)
    assert parse_bbox("") is None and parse_bbox(None) is None


@pytest.mark.parametrize(
    "bad", ["1,2,3", "a,b,c,d", "112.9,30.4,112.8,30.5", "1,2,3,nan", "200,30,201,31"]
)
def test_a_bad_box_names_its_field(bad):
    with pytest.raises(InvalidInput) as err:
        parse_bbox(bad, field="bbox")
    assert err.value.field == "bbox" and err.value.http_status == 400


LAYERS = [
    "/api/layers/segments/",
    "/api/patrols/layers/reports/",
    "/api/pledges/layers/segment-coverage/",
    "/api/pledges/layers/assignments/",
]


@pytest.mark.parametrize("bad", ["1,2,3", "112.9,30.4,112.8,30.5"])
def test_every_layer_refuses_a_bad_box_with_the_same_message(client, bad):
    g = build_grid()
    client.force_login(g.staff)
    with translation.override("en"):
        messages = set()
        for url in LAYERS:
            response = client.get(url, {"bbox": bad}, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 400, url
            messages.add(tuple(response.json()["bbox"]))
    assert len(messages) == 1, messages
