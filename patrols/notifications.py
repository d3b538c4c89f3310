"""Who hears about a report event, and what they are told.

New report → the grid manager of its district. Status change → the reporter, or the grid
manager when the reporter made it ("not fixed"). One in-app row per (event, person), so
the task may run twice safely; an email as well when the person has an address and
PATROLS_EMAIL_NOTIFICATIONS is on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification, Report, ReportEvent

if TYPE_CHECKING:
    from houhu.accounts.models import User


def _active_manager(report: Report, actor_id: int) -> User | None:
    manager = report.district.manager
    if manager is None or manager.pk == actor_id or not manager.is_active:
        return None
    return manager


def recipients_for(event: ReportEvent) -> list[tuple[User, str]]:
    report = event.report
    people: list[tuple[User, str]] = []
    if event.action == ReportEvent.Action.SUBMIT:
        manager = _active_manager(report, event.actor_id)
        return [(manager, Notification.Verb.NEW_REPORT)] if manager else []
    if report.reporter_id != event.actor_id:
        people.append((report.reporter, Notification.Verb.STATUS_CHANGED))
    if event.action == ReportEvent.Action.NOT_FIXED:
        # "Not fixed" puts the report back on the grid manager's desk.
        manager = _active_manager(report, event.actor_id)
        if manager is not None and manager.pk != report.reporter_id:
            people.append((manager, Notification.Verb.STATUS_CHANGED))
    return people


def message_for(
    verb: str, report: Report, event: ReportEvent | None = None, *, to_reporter: bool = True
) -> str:
    """The text in the active language (rendered again on read, in the reader's language)."""
    params = {
        "id": report.pk,
        "kind": report.get_kind_display(),
        "district": report.district.name,
        "status": Report.Status(event.to_status if event else report.status).label,
    }
    if verb == Notification.Verb.NEW_REPORT:
        return _("New report #%(id)s in %(district)s: %(kind)s") % params
    if not to_reporter and event is not None and event.action == ReportEvent.Action.NOT_FIXED:
        return _("Report #%(id)s (%(kind)s) in %(district)s is not fixed: reopened") % params
    return _("Your report #%(id)s (%(kind)s) is now: %(status)s") % params


def deliver(event_id: int) -> list[int]:
    """Create the in-app rows for an event and send the emails not sent yet."""
    event = (
        ReportEvent.objects.select_related("report__district__manager", "report__reporter")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return []
    created = []
    # Stored in the site's default language (for email and the admin); the API renders the
    # message again in the reader's language.
    with translation.override(settings.LANGUAGE_CODE):
        for person, verb in recipients_for(event):
            message = message_for(
                verb, event.report, event, to_reporter=person.pk == event.report.reporter_id
            )
            try:
                with transaction.atomic():
                    notification = Notification.objects.create(
                        recipient=person, report=event.report, event=event, verb=verb,
                        message=message[:300],
                    )  # fmt: skip
            except IntegrityError:
                # Already delivered by an earlier run of the task (acks_late redelivery).
                notification = Notification.objects.get(event=event, recipient=person)
            created.append(notification.pk)
            _maybe_email(notification, person)
    return created


def _maybe_email(notification: Notification, person: User) -> None:
    if not settings.PATROLS_EMAIL_NOTIFICATIONS or not person.email:
        return
    if notification.emailed_at is not None:
        return
    send_mail(
        subject=notification.message[:78],
        message=notification.message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[person.email],
    )
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
