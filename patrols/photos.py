"""Photo intake: refuse what is not a small, sound JPEG/PNG/WebP, and keep only a
re-encoded copy without metadata.

Order matters: the size cap is checked before any decoding, the format whitelist and the
pixel cap before the pixels are decoded, and everything here runs before a row is written
(the services call `process` for every photo first).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import PhotoRejected

FORMATS = ["JPEG", "PNG", "WEBP"]
_GPS_IFD = 0x8825


@dataclass(frozen=True)
class ProcessedPhoto:
    content: bytes  # re-encoded JPEG, no metadata
    width: int
    height: int
    sha256: str  # of the bytes as sent (the replay hash uses it)
    gps: Point | None  # from EXIF, to suggest a location when the phone had none
    name: str


def read_limited(upload) -> bytes:
    """The upload's bytes, refusing anything over the cap before it is decoded."""
    cap = settings.PATROLS_PHOTO_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > cap:
        raise _too_big(cap)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(cap + 1)
    if len(data) > cap:
        raise _too_big(cap)
    if not data:
        raise PhotoRejected(_("The photo is empty."), field="photos")
    return data


def _too_big(cap: int) -> PhotoRejected:
    return PhotoRejected(
        _("The photo is larger than %(mb)s MB. Send a smaller one.")
        % {"mb": f"{cap / (1024 * 1024):g}"},
        field="photos",
    )


def sha256_of(upload) -> str:
    return hashlib.sha256(read_limited(upload)).hexdigest()


def _dms_to_degrees(dms, ref) -> float | None:
    try:
        d, m, s = (float(v) for v in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60.0 + s / 3600.0
    return -value if ref in ("S", "W", b"S", b"W") else value


def _exif_gps(img: Image.Image) -> Point | None:
    try:
        gps = img.getexif().get_ifd(_GPS_IFD)
    except Exception:  # a broken EXIF block only loses the suggestion
        return None
    if not gps or 2 not in gps or 4 not in gps:
        return None
    lat = _dms_to_degrees(gps[2], gps.get(1, "N"))
    lon = _dms_to_degrees(gps[4], gps.get(3, "E"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:
        return None
    return Point(lon, lat, srid=4326)


def _open(data: bytes) -> Image.Image:
    unreadable = PhotoRejected(
        _("This file is not a readable JPEG, PNG or WebP photo."), field="photos"
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make it an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=FORMATS)
            # Checked by hand on the header's size too, because Image.MAX_IMAGE_PIXELS is a
            # process-wide global we do not want to depend on.
            if img.width * img.height > settings.PATROLS_PHOTO_MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            img.verify()
            # verify() leaves the image unusable: open it again to decode.
            img = Image.open(io.BytesIO(data), formats=FORMATS)
            if img.format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the stored copy is
                # smaller anyway: a 12 Mpx phone photo decodes several times faster.
                side = settings.PATROLS_PHOTO_MAX_DIMENSION
                img.draft("RGB", (side, side))
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(
            _("The photo has too many pixels to be opened safely."), field="photos"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise unreadable from None
    return img


def reencode(img: Image.Image, max_dimension: int, quality: int = 85) -> bytes:
    """A JPEG of the pixels only: no EXIF, GPS, ICC or comments survive."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    img.thumbnail((max_dimension, max_dimension), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def process(upload) -> ProcessedPhoto:
    data = read_limited(upload)
    img = _open(data)
    gps = _exif_gps(img)
    # Phones store portrait photos sideways with an Orientation tag: apply it to the pixels
    # because the tag itself is stripped with the rest of the metadata.
    img = ImageOps.exif_transpose(img)
    content = reencode(img, settings.PATROLS_PHOTO_MAX_DIMENSION)
    with Image.open(io.BytesIO(content)) as out:
        width, height = out.size
    return ProcessedPhoto(
        content=content,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        gps=gps,
        name=getattr(upload, "name", "") or "photo",
    )


def thumbnail_bytes(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content), formats=["JPEG"]) as img:
        img.load()
        return reencode(img, settings.PATROLS_THUMBNAIL_SIZE, quality=80)


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
