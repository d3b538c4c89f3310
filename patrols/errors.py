"""The patrols app's refusals: subclasses of the one domain error type
(`houhu.lib.errors.DomainError`), each with its translated default message and the HTTP
status the API answers with (through the one exception handler), so every entry point
(API, pages, admin) says the same thing."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from houhu.lib import errors
from houhu.lib.images import ImageRejected


class InvalidInput(errors.InvalidInput):
    default_message = _("Some fields are missing or wrong.")


class InvalidLocation(InvalidInput):
    code = "invalid_location"
    default_message = _("The location is not a valid coordinate.")


class OutsideGrid(InvalidInput):
    code = "outside_grid"
    default_message = _("This location is outside every service grid of the station.")


class PhotoRejected(ImageRejected):
    code = "bad_photo"
    default_message = _("This file is not a readable JPEG, PNG or WebP photo.")


class ReplayMismatch(errors.DomainError):
    """The same client id was sent earlier with other content: never overwrite it."""

    http_status = 422
    code = "replay_mismatch"
    default_message = _(
        "A different report was already sent with this id. Nothing was changed; "
        "write the report again as a new one."
    )


class TransitionNotAllowed(errors.Conflict):
    code = "transition_not_allowed"
    default_message = _("This step is not allowed for the report in its current state.")


class NotAllowed(errors.NotAllowed):
    """The user's role or grid does not let them do this."""

    default_message = _("You may not do this for a report outside your grid.")
