"""The API's one OpenAPI schema class (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]): every
operation documents the one error body (houhu.lib.errors) for the refusals any of them can
give, so that a client, and Schemathesis' response check (tests/test_schema_fuzz.py),
knows their shape without each view restating it. A view that documents a status itself
(e.g. the CSV import's 400 report) keeps its own."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

# 404 is not among them: a path that matches no route (/reports/abc/) gets Django's page.
ERROR_STATUSES = {
    "400": "Invalid input: `detail`, `code` and each field's messages.",
    "401": "Not signed in.",
    "403": "Not allowed for this role or area.",
    "429": "Too many requests (see Retry-After).",
}


class ApiErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="The first message, translated.")
    code = serializers.CharField(help_text="Stable: switch on this, never on the message.")


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if direction == "response":
            for code, description in ERROR_STATUSES.items():
                if code not in bodies:
                    error = OpenApiResponse(ApiErrorSerializer, description=description)
                    bodies[code] = self._get_response_for_code(error, code, None, direction)
        return bodies
