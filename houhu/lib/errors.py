"""The one domain error type, and the one DRF exception handler that answers it.

A service refuses a request by raising a `DomainError` (or one of the apps' subclasses,
e.g. `patrols.errors.TransitionNotAllowed`, `pledges.errors.AlreadySigned`) before it
writes anything. The error carries everything every entry point needs: a translated
message, the form field it concerns (if any), a stable `code` a client can switch on
(never switch on the message), and the HTTP status the API answers with. Pages show the
message; the API answers, through `exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"]):

    {"detail": "<message>", "code": "<code>", "<field>": ["<message>"]}

(`non_field_errors` when the error concerns no one field). DRF's own refusals (a serializer's
field errors, 401/403/404/405/429) are given the same shape here, once: a validation error
keeps its per-field lists and gains `detail` (its first message) and `code`, so a client
and the OpenAPI schema (houhu.lib.schema) know one error body.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    """A request the rules refuse. Nothing has been written when it is raised."""

    http_status = 400
    code = "invalid"
    default_message = _("The request was refused.")

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        template = message if message is not None else self.default_message
        # Filled in now, in the language of the request being refused; a message without
        # parameters stays lazy until it is shown.
        self._message = template % params if params else template
        self.params = params
        self.field = field
        super().__init__(self._message)

    @property
    def message(self) -> str:
        return str(self._message)

    def __str__(self) -> str:
        return self.message


class InvalidInput(DomainError):
    """A missing or malformed value (400)."""

    code = "bad_input"
    default_message = _("Some fields are missing or wrong.")


class NotAllowed(DomainError):
    """The user's role or area does not let them do this (403)."""

    http_status = 403
    code = "forbidden"
    default_message = _("You may not do this here.")


class Conflict(DomainError):
    """The request clashes with what is already recorded (409)."""

    http_status = 409
    code = "conflict"
    default_message = _("This clashes with what is already recorded.")


def error_body(error: DomainError) -> dict[str, Any]:
    # A refusal that concerns no one field names `non_field_errors`, as DRF's own do.
    field = error.field or api_settings.NON_FIELD_ERRORS_KEY
    return {"detail": error.message, "code": error.code, field: [error.message]}


def _first(value: Any) -> Any:
    """The first leaf of DRF's nested error lists and dicts (None if there is none)."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _first(item)
            if found is not None:
                return found
        return None
    return value


def one_shape(data: Any, exc: APIException) -> dict[str, Any]:
    """DRF's error data as {"detail", "code", "<field>": [...]}."""
    if not isinstance(data, dict):
        data = {api_settings.NON_FIELD_ERRORS_KEY: data if isinstance(data, list) else [data]}
    body = dict(data)
    codes = exc.get_codes()
    if "detail" not in body or not isinstance(body["detail"], str):
        body["detail"] = str(_first(data) or exc.default_detail)
    if not isinstance(body.get("code"), str):
        body["code"] = str(_first(codes) or exc.default_code)
    return body


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: a domain error becomes its status and body;
    DRF's own refusals (validation errors, 404, 403, ...) are given the same shape."""
    if isinstance(exc, DomainError):
        response = Response(error_body(exc), status=exc.http_status)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:  # a 429 (or 503) says when to come back
            response["Retry-After"] = str(retry_after)
        return response
    # As DRF's handler does, so that their body gets a code too.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, RequestDataTooBig):
        # Django would answer its HTML 400 page; an API client gets the one shape.
        exc = exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("The request body is too large.")]},
            code="too_large",
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, APIException):
        response.data = one_shape(response.data, exc)
    return response
