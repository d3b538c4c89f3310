"""Domain errors of the pledges app. Each carries a translated, user-facing message and a
stable `code` that the API and pages can switch on (never switch on the message)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class PledgeError(Exception):
    """Base class: a rule of the compact or of responsibility was broken; nothing changed."""

    code = "invalid"
    default_message = _("This action is not allowed.")

    def __init__(self, message: str | None = None, **params: object) -> None:
        self.params = params
        template = message if message is not None else self.default_message
        self.message = str(template) % params if params else str(template)
        super().__init__(self.message)


class NotAllowed(PledgeError):
    """The user may not act here (outside their grid, another household, read-only role)."""

    code = "forbidden"
    default_message = _("You may not do this for a household or line outside your area.")


class InvalidTransition(PledgeError):
    code = "invalid_transition"
    default_message = _("This change of state is not allowed.")


class VersionFrozen(InvalidTransition):
    code = "version_frozen"
    default_message = _(
        "A published compact is never edited in place: create a new version instead."
    )


class VersionNotSignable(PledgeError):
    code = "version_not_signable"
    default_message = _("Only the compact version in force can be signed.")


class WrongVillage(PledgeError):
    code = "wrong_village"
    default_message = _("This compact does not apply to the household's village.")


class AlreadySigned(PledgeError):
    code = "already_signed"
    default_message = _("This household has already signed this version of the compact.")


class ConfirmationRequired(PledgeError):
    code = "confirmation_required"
    default_message = _("Please confirm that you have read the compact and agree to it.")


class BadScan(PledgeError):
    code = "bad_scan"
    default_message = _("The photo of the signed sheet could not be read as an image.")


class BadGeometry(PledgeError):
    code = "bad_geometry"
    default_message = _("The drawn area is not a valid polygon inside the station's area.")


class AssignmentConflict(PledgeError):
    code = "assignment_conflict"
    default_message = _("This segment already has a primary responsible for these dates.")


class BadInput(PledgeError):
    code = "bad_input"


class AlreadyVisited(PledgeError):
    code = "already_visited"
    default_message = _("A visit to this household by you on that day is already recorded.")
