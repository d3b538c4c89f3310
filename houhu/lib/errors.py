"""The one domain error type, and the one DRF exception handler that answers it.

A service refuses a request by raising a `DomainError` (or one of the apps' subclasses,
e.g. `patrols.errors.TransitionNotAllowed`, `pledges.errors.AlreadySigned`) before it
writes anything. The error carries everything every entry point needs: a translated
message, the form field it concerns (if any), a stable `code` a client can switch on
(never switch on the message), and the HTTP status the API answers with. Pages show the
message; the API answers, through `exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"]):

    {"detail": "<message>", "code": "<code>", "<field>": ["<message>"]}

(the field key only when the error concerns one field).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.response import Response
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
    body: dict[str, Any] = {"detail": error.message, "code": error.code}
    if error.field:
        body[error.field] = [error.message]
    return body


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: a domain error becomes its status and body;
    everything else is DRF's own handling (validation errors, 404, 403, ...)."""
    if isinstance(exc, DomainError):
        response = Response(error_body(exc), status=exc.http_status)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:  # a 429 (or 503) says when to come back
            response["Retry-After"] = str(retry_after)
        return response
    return drf_exception_handler(exc, context)
