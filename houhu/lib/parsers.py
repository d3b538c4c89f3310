"""The one JSON parser of the API (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"], and every view
that lists its parsers): a body is a JSON object or it is refused here, once, with a
translated 400 that names `non_field_errors` (houhu.lib.errors gives it the one shape).

Why here and not in each view: views read `request.data` as a mapping before any
serializer sees it (`request.data.get(...)`), so `"x"`, `[{}]` or `null` used to reach
them and end as a 500. And DRF's JSONParser turns only ValueError into a 400: a body
nested 100,000 deep makes `json` raise RecursionError, which was a 500 too.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings


def _refuse(message, code: str) -> ValidationError:
    return ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]}, code=code)


class ObjectJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            raise _refuse(_("The body is not valid JSON."), "parse_error") from exc
        except RecursionError as exc:
            raise _refuse(_("The body is nested too deeply."), "too_deep") from exc
        if not isinstance(data, dict):
            raise _refuse(_("Send a JSON object ({...}) as the body."), "not_an_object")
        return data
