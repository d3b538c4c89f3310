"""Report photos: the project's one image intake (`houhu.lib.images`) with the patrols
app's limits (settings PATROLS_PHOTO_*). Everything here runs before a row is written."""

from __future__ import annotations

from django.conf import settings

from houhu.lib import images
from houhu.lib.images import ProcessedImage

from .errors import PhotoRejected


def limits() -> images.ImageLimits:
    return images.ImageLimits(
        max_bytes=settings.PATROLS_PHOTO_MAX_BYTES,
        max_pixels=settings.PATROLS_PHOTO_MAX_PIXELS,
        max_side=settings.PATROLS_PHOTO_MAX_DIMENSION,
    )


def sha256_of(upload) -> str:
    """Of the bytes as sent (the replay hash), refusing an upload over the size cap."""
    return images.sha256_of(
        upload, settings.PATROLS_PHOTO_MAX_BYTES, error=PhotoRejected, field="photos"
    )


def process(upload) -> ProcessedImage:
    return images.intake(upload, limits(), error=PhotoRejected, field="photos")


def thumbnail_bytes(content: bytes) -> bytes:
    return images.thumbnail(content, settings.PATROLS_THUMBNAIL_SIZE)


def make_thumbnails(photo_ids: list[int]) -> list[int]:
    """Write the thumbnails the given photos lack; returns the photos done. Idempotent: a
    photo that has one is skipped, so a rerun after a crash redoes at most a file."""
    from django.core.files.base import ContentFile

    from .models import ReportPhoto

    done = []
    for photo in ReportPhoto.objects.filter(pk__in=photo_ids, thumbnail=""):
        with photo.image.open("rb") as fh:
            content = thumbnail_bytes(fh.read())
        name = photo.image.name.rsplit("/", 1)[-1].replace(".jpg", "-thumb.jpg")
        photo.thumbnail.save(name, ContentFile(content), save=False)
        ReportPhoto.objects.filter(pk=photo.pk).update(thumbnail=photo.thumbnail.name)
        done.append(photo.pk)
    return done
