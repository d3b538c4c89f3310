"""Domain errors of the patrols app. Each carries a translated message and the HTTP status
the API answers with, so every entry point (API, pages, admin) says the same thing."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class PatrolError(Exception):
    """A request the rules refuse. Nothing has been written when it is raised."""

    http_status = 400
    default_message = _("The request was refused.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(str(self.message))


class InvalidInput(PatrolError):
    default_message = _("Some fields are missing or wrong.")


class InvalidLocation(PatrolError):
    default_message = _("The location is not a valid coordinate.")


class OutsideGrid(PatrolError):
    default_message = _("This location is outside every service grid of the station.")


class PhotoRejected(PatrolError):
    default_message = _("The photo could not be read.")


class ReplayMismatch(PatrolError):
    """The same client id was sent earlier with other content: never overwrite it."""

    http_status = 422
    default_message = _(
        "A different report was already sent with this id. Nothing was changed; "
        "write the report again as a new one."
    )


class TransitionNotAllowed(PatrolError):
    http_status = 409
    default_message = _("This step is not allowed for the report in its current state.")


class NotAllowed(PatrolError):
    """The user's role or grid does not let them do this."""

    http_status = 403
    default_message = _("You may not do this for a report outside your grid.")
