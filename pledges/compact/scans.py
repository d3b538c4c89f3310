"""Photos of signed pledge sheets: the project's one image intake (`houhu.lib.images`) with
the scan's limits (settings PLEDGES_SCAN_*). JPEG, PNG or WebP only."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.base import ContentFile

from houhu.lib import images
from houhu.lib.images import ProcessedImage

from ..errors import BadScan


def limits() -> images.ImageLimits:
    return images.ImageLimits(
        max_bytes=settings.PLEDGES_SCAN_MAX_BYTES,
        max_pixels=settings.PLEDGES_SCAN_MAX_PIXELS,
        max_side=settings.PLEDGES_SCAN_MAX_SIDE_PX,
        quality=82,
    )


def max_megabytes() -> str:
    return images.megabytes(settings.PLEDGES_SCAN_MAX_BYTES)


def process(upload) -> ProcessedImage:
    """Read, check and re-encode a scan, or BadScan naming the `scan` field. A corrupt
    file, a non-image or a TIFF is refused; EXIF (the phone's GPS) is dropped."""
    return images.intake(upload, limits(), error=BadScan, field="scan")


def as_file(scan: ProcessedImage) -> ContentFile:
    # A fresh random name: the phone's file name may carry personal data.
    return ContentFile(scan.content, name=f"{uuid.uuid4().hex}.jpg")
