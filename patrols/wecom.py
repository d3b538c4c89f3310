"""Posting to a grid's WeCom (企业微信) group robot: a new urgent hazard, and its clearing.

Each grid manager runs a group with the grid's aquaculture households ("线上叫, 线下到": called
online, there in person): the ledger calls the people there (a new hazard inside the
protection zone) and tells them when it is gone. `record(event)` runs in the transaction
of the event: it writes the message (`WecomPost`) and an outbox job, so nothing is posted
for an event that rolled back. The job (`post`) runs after the commit; a failure (WeCom
down, a 500, an errcode) raises, and the relay retries it with its capped backoff
(houhu.outbox.relay). The row is locked while posting and marked `posted_at`; a job run
again finds it marked and posts nothing. A relay that dies between WeCom's answer and its
own commit posts once more: the robot API has no idempotency key, so that one window
cannot be closed.

The text is always Chinese: the group is Chinese-speaking, whatever the language of the
person whose click caused it.
"""

from __future__ import annotations

import json
import urllib.request

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from houhu.outbox.services import defer

from . import figures
from .models import GridRobot, Report, ReportEvent, WecomPost

A = ReportEvent.Action


class WecomError(Exception):
    """WeCom refused or did not answer: the outbox retries the job."""


def _announced(event: ReportEvent) -> bool:
    """A new urgent hazard, or the clearing of one (figures.URGENT: one definition), in a
    grid with an enabled robot: one query, and none for the other steps."""
    if event.action not in (A.SUBMIT, A.CLEAR):
        return False
    return (
        Report.objects.filter(pk=event.report_id, district__wecom_robot__enabled=True)
        .filter(figures.URGENT.q())
        .exists()
    )


def text_for(event: ReportEvent) -> str:
    # The place in words, read afresh: a submission's report object carries ids only.
    report = Report.objects.select_related("district", "village", "segment__line").get(
        pk=event.report_id
    )
    place = " · ".join(
        x for x in (report.district.name, report.village.name if report.village else "") if x
    )
    if report.segment_id:
        place += _(" (line %(line)s, segment %(seq)s)") % {
            "line": report.segment.line.name,
            "seq": report.segment.seq,
        }
    params = {
        "kind": report.get_kind_display(),
        "place": place,
        "at": timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M"),
        "link": f"{settings.HOUHU_SITE_URL}/patrols/workspace/#report={report.pk}",
        "id": report.pk,
    }
    if event.action == A.SUBMIT:
        return (
            _(
                "[Line patrol] Urgent hazard #%(id)s: %(kind)s, inside the protection zone\n"
                "Place: %(place)s\nReported: %(at)s\nOpen: %(link)s"
            )
            % params
        )
    return (
        _(
            "[Line patrol] Hazard #%(id)s cleared: %(kind)s\n"
            "Place: %(place)s\nCleared: %(at)s\nOpen: %(link)s"
        )
        % params
    )


def record(event: ReportEvent, *, robot: bool | None = None) -> bool:
    """In the event's transaction: the message and its job, when the grid has a robot and
    the event is announced. True when a message was recorded. `robot`: whether the grid
    has an enabled robot, when the caller knows already (a submission's intake does): a grid
    without one then costs no query."""
    if robot is False or not _announced(event):
        return False
    with translation.override("zh-hans"):
        text = text_for(event)
    post, created = WecomPost.objects.get_or_create(
        event=event, defaults={"district_id": event.report.district_id, "text": text}
    )
    if created:
        defer("patrols.wecom_post", payload={"post_id": post.pk}, key=f"patrols.wecom:{post.pk}")
    return created


def send(url: str, text: str) -> None:
    """POST one text message to a robot; raise WecomError unless WeCom says errcode 0."""
    body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False)
    request = urllib.request.Request(  # noqa: S310 - see below
        url, data=body.encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        # The address was checked against PATROLS_WECOM_URL_PREFIXES when it was saved
        # and is checked again in post(): never a file: or internal URL.
        with urllib.request.urlopen(request, timeout=settings.PATROLS_WECOM_TIMEOUT_SECONDS) as r:  # noqa: S310
            answer = json.loads(r.read() or b"{}")
    except (OSError, ValueError) as exc:  # HTTPError, URLError, timeouts, bad JSON
        raise WecomError(f"WeCom robot: {exc}") from exc
    if answer.get("errcode") != 0:
        raise WecomError(f"WeCom robot refused the message: {answer}")


def post(post_id: int) -> bool:
    """The outbox job: post the message once; True when it was posted now."""
    from .models import validate_wecom_webhook

    message = (
        WecomPost.objects.select_for_update().filter(pk=post_id, posted_at__isnull=True).first()
    )
    if message is None:
        return False  # posted already (or gone)
    robot = GridRobot.objects.filter(district_id=message.district_id, enabled=True).first()
    if robot is None:
        return False  # the robot was removed meanwhile: nobody to tell
    validate_wecom_webhook(robot.webhook_url)
    send(robot.webhook_url, message.text)
    WecomPost.objects.filter(pk=message.pk).update(posted_at=timezone.now())
    return True
