"""Photo intake with real generated files and broken ones."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from patrols.errors import PhotoRejected
from patrols.photos import process, thumbnail_bytes
from tests.patrols.factories import image_file


def _upload(content: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_reencoded_as_jpeg(fmt):
    out = process(image_file(fmt, size=(120, 80)))
    img = Image.open(io.BytesIO(out.content))
    assert img.format == "JPEG"
    assert (out.width, out.height) == (120, 80) == img.size


def test_png_with_transparency_is_flattened_on_white():
    buf = io.BytesIO()
    Image.new("RGBA", (10, 10), (255, 0, 0, 0)).save(buf, format="PNG")
    out = process(_upload(buf.getvalue(), "a.png"))
    assert Image.open(io.BytesIO(out.content)).convert("RGB").getpixel((5, 5)) >= (250, 250, 250)


def test_exif_orientation_is_applied_and_all_metadata_stripped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 27.0, 0.0), 3: "E", 4: (112.0, 48.0, 0.0)})
    out = process(image_file(size=(200, 100), exif=exif))
    img = Image.open(io.BytesIO(out.content))
    assert img.size == (100, 200)  # portrait, as the phone showed it
    assert dict(img.getexif()) == {}
    assert b"PhoneMaker" not in out.content
    assert "exif" not in img.info and "icc_profile" not in img.info


def test_exif_gps_is_read_to_suggest_the_location():
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 27.0, 0.0), 3: "E", 4: (112.0, 48.0, 0.0)})
    out = process(image_file(exif=exif))
    assert out.gps.y == pytest.approx(30.45)
    assert out.gps.x == pytest.approx(112.8)


def test_large_photo_is_scaled_down_to_the_max_dimension(settings):
    settings.PATROLS_PHOTO_MAX_DIMENSION = 100
    out = process(image_file(size=(400, 300)))
    assert (out.width, out.height) == (100, 75)


def test_truncated_jpeg_is_refused():
    content = image_file(size=(200, 200)).read()
    with pytest.raises(PhotoRejected):
        process(_upload(content[: len(content) // 2]))


def test_tiff_renamed_jpg_is_refused():
    buf = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buf, format="TIFF")
    with pytest.raises(PhotoRejected):
        process(_upload(buf.getvalue(), "photo.jpg"))


def test_eps_is_refused_without_running_ghostscript():
    eps = (
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"
        b"newpath 0 0 moveto 10 10 lineto stroke\nshowpage\n%%EOF\n"
    )
    with pytest.raises(PhotoRejected):
        process(_upload(eps, "photo.jpg"))


def test_random_bytes_are_refused():
    with pytest.raises(PhotoRejected):
        process(_upload(b"\xff\xd8\xff" + b"\x00" * 500))


def test_decompression_bomb_is_refused_before_decoding(settings):
    # A 5000 x 5000 PNG of one colour compresses to a few KB but is 25 Mpx.
    settings.PATROLS_PHOTO_MAX_PIXELS = 1_000_000
    buf = io.BytesIO()
    Image.new("L", (5000, 5000), 0).save(buf, format="PNG", optimize=True)
    assert len(buf.getvalue()) < 200_000
    with pytest.raises(PhotoRejected) as err:
        process(_upload(buf.getvalue(), "bomb.png"))
    with translation.override("en"):
        assert "too many pixels" in str(err.value.message)


def test_oversized_file_is_refused_before_decoding(settings):
    settings.PATROLS_PHOTO_MAX_BYTES = 1024
    upload = image_file(size=(300, 300), color="blue")
    big = _upload(upload.read() + b"\x00" * 2048)
    with translation.override("en"), pytest.raises(PhotoRejected) as err:
        process(big)
    assert "larger than 0.000976562 MB" in str(err.value.message)


def test_empty_file_is_refused():
    with pytest.raises(PhotoRejected):
        process(_upload(b""))


def test_thumbnail_is_small_jpeg(settings):
    settings.PATROLS_THUMBNAIL_SIZE = 64
    out = process(image_file(size=(640, 480)))
    thumb = Image.open(io.BytesIO(thumbnail_bytes(out.content)))
    assert thumb.format == "JPEG" and max(thumb.size) == 64
