"""The pledges app's refusals: subclasses of the one domain error type
(`houhu.lib.errors.DomainError`), each with a translated, user-facing message, a stable
`code` that the API and pages can switch on (never switch on the message) and its HTTP
status (403 not allowed, 409 conflict, 400 otherwise)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from houhu.lib import errors
from houhu.lib.images import ImageRejected


class NotAllowed(errors.NotAllowed):
    """The user may not act here (outside their grid, another household, read-only role)."""

    default_message = _("You may not do this for a household or line outside your area.")


class InvalidTransition(errors.DomainError):
    code = "invalid_transition"
    default_message = _("This change of state is not allowed.")


class VersionFrozen(InvalidTransition):
    code = "version_frozen"
    default_message = _(
        "A published compact is never edited in place: create a new version instead."
    )


class VersionNotSignable(errors.DomainError):
    code = "version_not_signable"
    default_message = _("Only the compact version in force can be signed.")


class WrongVillage(errors.DomainError):
    code = "wrong_village"
    default_message = _("This compact does not apply to the household's village.")


class AlreadySigned(errors.Conflict):
    code = "already_signed"
    default_message = _("This household has already signed this version of the compact.")


class ConfirmationRequired(errors.DomainError):
    code = "confirmation_required"
    default_message = _("Please confirm that you have read the compact and agree to it.")


class BadScan(ImageRejected):
    code = "bad_scan"
    default_message = _("The photo of the signed sheet could not be read as an image.")


class BadGeometry(errors.DomainError):
    code = "bad_geometry"
    default_message = _("The drawn area is not a valid polygon inside the station's area.")


class AssignmentConflict(errors.Conflict):
    code = "assignment_conflict"
    default_message = _("This segment already has a primary responsible for these dates.")


class BadInput(errors.InvalidInput):
    code = "bad_input"


class AlreadyVisited(errors.Conflict):
    code = "already_visited"
    default_message = _("A visit to this household by you on that day is already recorded.")
