"""The OpenAPI schema generates without warnings or errors and validates."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from django.test import Client


def test_schema_generates_without_warnings_and_validates(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns every drf-spectacular warning or error into a failure;
    # --validate checks the result against the OpenAPI 3 JSON schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    paths = schema["paths"]
    for layer in ["districts", "transformer-areas", "lines", "segments", "households"]:
        op = paths[f"/api/layers/{layer}/"]["get"]
        assert "application/geo+json" in op["responses"]["200"]["content"]
        assert {p["name"] for p in op["parameters"]} >= {"bbox", "district"}
        assert "400" in op["responses"]
    for name in ["districts", "transformer-areas", "villages", "households", "lines", "segments"]:
        assert set(paths[f"/api/{name}/"]) == {"get"}
    assert {p["name"] for p in paths["/api/households/"]["get"]["parameters"]} >= {
        "district",
        "village",
        "transformer_area",
        "is_aquaculture",
        "q",
    }
    assert "/api/me/" in paths


@pytest.mark.django_db
def test_swagger_ui_is_served_from_local_static_files():
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory())
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
