"""Outbox job handlers of the patrols app (recorded by patrols.services in the transaction
of the change; carried out by the relay, houhu.outbox)."""

from __future__ import annotations

from houhu.outbox.registry import handler

from . import notifications, photos, wecom


@handler("patrols.make_thumbnails")
def make_thumbnails(*, photo_ids: list[int]) -> None:
    photos.make_thumbnails(photo_ids)


@handler("patrols.email_notification")
def email_notification(*, event_id: int, recipient_id: int) -> None:
    notifications.send_email(event_id=event_id, recipient_id=recipient_id)


@handler("patrols.sms_notification")
def sms_notification(*, event_id: int, recipient_id: int) -> None:
    notifications.send_sms(event_id=event_id, recipient_id=recipient_id)


@handler("patrols.wecom_post")
def wecom_post(*, post_id: int) -> None:
    wecom.post(post_id)
