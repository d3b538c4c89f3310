"""Background work of the patrols app, queued on commit by the services."""

from __future__ import annotations

from celery import shared_task
from django.core.files.base import ContentFile

from .models import ReportPhoto
from .notifications import deliver
from .photos import thumbnail_bytes


@shared_task(name="patrols.make_thumbnails", bind=True, max_retries=3, default_retry_delay=30)
def make_thumbnails(self, photo_ids: list[int]) -> list[int]:
    """Thumbnails for the given photos; a photo that already has one is skipped."""
    done = []
    for photo in ReportPhoto.objects.filter(pk__in=photo_ids, thumbnail=""):
        try:
            with photo.image.open("rb") as fh:
                content = thumbnail_bytes(fh.read())
        except OSError as exc:
            raise self.retry(exc=exc) from exc
        name = photo.image.name.rsplit("/", 1)[-1].replace(".jpg", "-thumb.jpg")
        photo.thumbnail.save(name, ContentFile(content), save=False)
        ReportPhoto.objects.filter(pk=photo.pk).update(thumbnail=photo.thumbnail.name)
        done.append(photo.pk)
    return done


@shared_task(name="patrols.notify", bind=True, max_retries=5, default_retry_delay=60)
def notify(self, event_id: int) -> list[int]:
    """In-app notifications (and emails) for one report event; safe to run twice."""
    try:
        return deliver(event_id)
    except OSError as exc:  # SMTP down: the in-app rows exist, retry the email
        raise self.retry(exc=exc) from exc
