"""Who hears about a report event, and what they are told.

New report → the grid manager of its district and the staff of its station
(houhu.accounts.scopes.told_of_new_reports). Status change → the reporter, or the grid
manager when the reporter made it ("not fixed"). The in-app rows are written in the
transaction of the event (`notify`), so they exist exactly when the event does; one row
per (event, person). An e-mail as well, when the person has an address and
PATROLS_EMAIL_NOTIFICATIONS is on: an outbox job (`patrols.jobs`), sent once the event is
committed and retried while the mail server is away.

SMS: a hook, not a provider. Set PATROLS_SMS_SENDER to the dotted path of a function
`send(*, phone: str, text: str, key: str) -> None` (a provider's SDK wrapped in a few
lines) and each notification of a person with a phone number becomes an outbox job that
calls it after the commit, retried with backoff. `key` is the notification's id: pass it
to the provider as its idempotency key, so that a relay that dies between the send and its
commit does not text the person twice. No sender is configured by default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from houhu.accounts.scopes import Can, can, told_of_new_reports
from houhu.outbox.services import defer

from .models import Notification, Report, ReportEvent

if TYPE_CHECKING:
    from houhu.accounts.models import User


def _active_manager(report: Report, actor_id: int) -> User | None:
    manager = report.district.manager
    if manager is None or manager.pk == actor_id or not manager.is_active:
        return None
    return manager


def recipients_for(event: ReportEvent) -> list[tuple[User, str]]:
    """Who is told of a status change (a new report: `_notify_new_report`)."""
    report = event.report
    people: list[tuple[User, str]] = []
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


def _follow_ups(event: ReportEvent, people) -> None:
    """The e-mails and SMS of the notifications just written (outbox jobs, exactly once)."""
    for person_id, email, phone in people:
        payload = {"event_id": event.pk, "recipient_id": person_id}
        if settings.PATROLS_EMAIL_NOTIFICATIONS and email:
            defer(
                "patrols.email_notification",
                payload=payload,
                key=f"patrols.email:{event.pk}:{person_id}",
            )
        if settings.PATROLS_SMS_SENDER and phone:
            defer(
                "patrols.sms_notification",
                payload=payload,
                key=f"patrols.sms:{event.pk}:{person_id}",
            )


def _notify_new_report(event: ReportEvent) -> int:
    """A new report's notifications in ONE statement: INSERT … SELECT over who is told
    (scopes.told_of_new_reports, the one rule, compiled by the ORM), returning who was told
    with the addresses the follow-ups need. The submission's budget of statements (issue 12)
    has no room for reading the people first."""
    report = event.report
    # The reporter is not told of their own report (staff file reports too).
    told = told_of_new_reports(report.district).exclude(pk=event.actor_id).values("pk")
    told_sql, told_params = told.query.sql_with_params()
    # The same text for everyone told (none of them is the reporter), in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        message = message_for(Notification.Verb.NEW_REPORT, report, event)[:300]
    table = Notification._meta.db_table
    user_table = told.model._meta.db_table
    sql = f"""
        WITH told(id) AS ({told_sql}), written AS (
          INSERT INTO {table} (recipient_id, report_id, event_id, verb, message, created)
          SELECT told.id, %s, %s, %s, %s, %s FROM told
          ON CONFLICT DO NOTHING
          RETURNING recipient_id
        )
        SELECT u.id, u.email, u.phone
        FROM written JOIN {user_table} u ON u.id = written.recipient_id
    """  # noqa: S608 - table names from the models; values are parameters
    params = (*told_params, report.pk, event.pk, Notification.Verb.NEW_REPORT, message, event.at)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        people = cursor.fetchall()
    _follow_ups(event, people)
    return len(people)


def notify(event: ReportEvent) -> int:
    """Write the in-app notifications of `event` in the caller's transaction (again for the
    same event adds nothing) and record the e-mails to send; returns the rows written."""
    if event.action == ReportEvent.Action.SUBMIT:
        return _notify_new_report(event)
    people = recipients_for(event)
    if not people:
        return 0
    # Stored in the site's default language (for email and the admin); the API renders the
    # message again in the reader's language.
    with translation.override(settings.LANGUAGE_CODE):
        rows = [
            Notification(
                recipient=person,
                report=event.report,
                event=event,
                verb=verb,
                message=message_for(
                    verb, event.report, event, to_reporter=person.pk == event.report.reporter_id
                )[:300],
            )
            for person, verb in people
        ]
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True)
    _follow_ups(event, [(p.pk, p.email, p.phone) for p, _verb in people])
    return len(created)


def deliver(event_id: int) -> list[int]:
    """`notify` for an event by id (the Celery task kept for messages queued before the
    outbox); returns the ids of its notifications."""
    event = (
        ReportEvent.objects.select_related("report__district__manager", "report__reporter")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return []
    notify(event)
    return list(Notification.objects.filter(event=event).values_list("pk", flat=True))


def link_for(person: User, report_id: int) -> str:
    """Where the notification opens the report: the workspace map for staff and grid
    managers, the report's own page for its reporter (absolute: it is read in a mail)."""
    if can(person, Can.STAFF_PAGES):
        path = f"{reverse('patrols:workspace')}#report={report_id}"
    else:
        path = reverse("patrols:report_detail", args=[report_id])
    return f"{settings.HOUHU_SITE_URL}{path}"


def send_email(*, event_id: int, recipient_id: int) -> bool:
    """Mail one notification unless it was mailed already; True when a mail went out.

    The row is locked, so two relays never mail it twice; a relay that dies between the
    send and its commit mails it again (an e-mail cannot join a database transaction).
    """
    notification = (
        Notification.objects.select_for_update()
        .select_related("recipient")
        .filter(event_id=event_id, recipient_id=recipient_id)
        .first()
    )
    if notification is None or notification.emailed_at is not None:
        return False
    person = notification.recipient
    if not settings.PATROLS_EMAIL_NOTIFICATIONS or not person.email:
        return False
    send_mail(
        subject=notification.message[:78],
        message=f"{notification.message}\n\n{link_for(person, notification.report_id)}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[person.email],
    )
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True


def send_sms(*, event_id: int, recipient_id: int) -> bool:
    """Text one notification through the configured PATROLS_SMS_SENDER (see the module
    docstring); True when the sender was called."""
    notification = (
        Notification.objects.select_related("recipient")
        .filter(event_id=event_id, recipient_id=recipient_id)
        .first()
    )
    if notification is None or not settings.PATROLS_SMS_SENDER:
        return False
    phone = notification.recipient.phone
    if not phone:
        return False
    sender = import_string(settings.PATROLS_SMS_SENDER)
    sender(phone=phone, text=notification.message, key=f"houhu-notification-{notification.pk}")
    return True
