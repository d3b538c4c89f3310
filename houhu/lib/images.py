"""The one intake of uploaded images: report photos (patrols) and photos of signed pledge
sheets (pledges) go through the same steps, each app with its own limits (settings).

Refuse what is not a small, sound JPEG/PNG/WebP, and keep only a re-encoded copy without
metadata. Order matters: the size cap is checked before any decoding, the format
whitelist and the pixel cap before the pixels are decoded, and callers run the intake
before they write a row, so a bad image never leaves half a record behind.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidInput

# Phones write JPEG (HEIC is converted by the browser's file input), screenshots PNG,
# WeChat WebP. Nothing else is decoded: each extra decoder is extra attack surface.
FORMATS = ("JPEG", "PNG", "WEBP")
_GPS_IFD = 0x8825


class ImageRejected(InvalidInput):
    code = "bad_image"
    default_message = _("This file is not a readable JPEG, PNG or WebP photo.")


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int  # refused above this size, before decoding
    max_pixels: int  # refused above this many pixels (decompression bombs)
    max_side: int  # the stored copy fits in this square
    quality: int = 85


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes  # re-encoded JPEG, no metadata
    width: int
    height: int
    sha256: str  # of the bytes as sent (a replayed report must match it)
    gps: Point | None  # from EXIF: only a suggestion of where the photo was taken
    name: str  # the name it was sent with (never used to store it: it may be personal)


def megabytes(size: int) -> str:
    """8388608 -> "8": the caps are whole or simple fractions of a MB."""
    return f"{size / (1024 * 1024):g}"


def _reject(error: type[ImageRejected], field: str, message=None, **params) -> ImageRejected:
    return error(message, field=field, **params)


def read_limited(
    upload, max_bytes: int, *, error: type[ImageRejected] = ImageRejected, field: str = "image"
) -> bytes:
    """The upload's bytes, refusing anything over the cap before it is decoded."""
    too_big = _("The photo is larger than %(mb)s MB. Send a smaller one.")
    if isinstance(upload, bytes):
        data = upload[: max_bytes + 1]
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > max_bytes:
            raise _reject(error, field, too_big, mb=megabytes(max_bytes))
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _reject(error, field, too_big, mb=megabytes(max_bytes))
    if not data:
        raise _reject(error, field, _("The photo is empty."))
    return data


def sha256_of(upload, max_bytes: int, **kwargs) -> str:
    return hashlib.sha256(read_limited(upload, max_bytes, **kwargs)).hexdigest()


def _dms_to_degrees(dms, ref) -> float | None:
    try:
        d, m, s = (float(v) for v in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60.0 + s / 3600.0
    return -value if ref in ("S", "W", b"S", b"W") else value


def exif_gps(img: Image.Image) -> Point | None:
    """Where the photo says it was taken, or None: a suggestion for a report's location."""
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


def _open(data: bytes, limits: ImageLimits, error: type[ImageRejected], field: str):
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make it an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=FORMATS)
            # Checked by hand on the header's size too, because Image.MAX_IMAGE_PIXELS is a
            # process-wide global we do not want to depend on.
            if img.width * img.height > limits.max_pixels:
                raise Image.DecompressionBombError("too many pixels")
            img.verify()
            # verify() leaves the image unusable: open it again to decode.
            img = Image.open(io.BytesIO(data), formats=FORMATS)
            if img.format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the stored copy is
                # smaller anyway: a 12 Mpx phone photo decodes several times faster.
                img.draft("RGB", (limits.max_side, limits.max_side))
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _reject(
            error, field, _("The photo has too many pixels to be opened safely.")
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _reject(error, field) from None
    return img


def reencode(img: Image.Image, max_side: int, quality: int = 85) -> bytes:
    """A JPEG of the pixels only: no EXIF, GPS, ICC or comments survive."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def intake(
    upload,
    limits: ImageLimits,
    *,
    error: type[ImageRejected] = ImageRejected,
    field: str = "image",
) -> ProcessedImage:
    """Read, check and re-encode one upload (a file or bytes), or raise `error` naming
    `field`. The stored copy is a metadata-free JPEG that fits `limits.max_side`."""
    data = read_limited(upload, limits.max_bytes, error=error, field=field)
    img = _open(data, limits, error, field)
    gps = exif_gps(img)
    # Phones store portrait photos sideways with an Orientation tag: apply it to the pixels
    # because the tag itself is stripped with the rest of the metadata.
    img = ImageOps.exif_transpose(img)
    content = reencode(img, limits.max_side, limits.quality)
    with Image.open(io.BytesIO(content)) as out:
        width, height = out.size
    return ProcessedImage(
        content=content,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        gps=gps,
        name=getattr(upload, "name", "") or "image",
    )


def thumbnail(content: bytes, side: int, quality: int = 80) -> bytes:
    """A smaller JPEG of an image this module already re-encoded."""
    with Image.open(io.BytesIO(content), formats=["JPEG"]) as img:
        img.load()
        return reencode(img, side, quality=quality)
