"""The one image intake, used by report photos and signed-pledge scans: the same formats,
a size cap before decoding, a pixel cap, a re-encoded copy without metadata, and one
setting per limit that the form, the API and the help text all read."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from houhu.lib import images
from pledges.compact.forms import PaperSigningForm
from pledges.models import Pledge
from tests.pledges.factories import World

pytestmark = pytest.mark.django_db


def picture(fmt: str = "PNG", size=(60, 40), exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, "white").save(out, format=fmt, **kwargs)
    return out.getvalue()


LIMITS = images.ImageLimits(max_bytes=100_000, max_pixels=10_000, max_side=50)


def test_intake_reencodes_to_a_metadata_free_jpeg_that_fits_the_side():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 27.0, 0.0), 3: "E", 4: (112.0, 48.0, 0.0)})
    limits = images.ImageLimits(max_bytes=100_000, max_pixels=10_000, max_side=40)
    out = images.intake(picture("JPEG", (80, 40), exif), limits)
    img = Image.open(io.BytesIO(out.content))
    assert img.format == "JPEG" and max(img.size) == 40
    assert not img.getexif()
    assert out.gps is not None and round(out.gps.y, 2) == 30.45  # a suggestion, kept aside


@pytest.mark.parametrize("fmt", ["TIFF", "BMP", "GIF"])
def test_only_jpeg_png_and_webp_are_taken(fmt):
    with pytest.raises(images.ImageRejected):
        images.intake(picture(fmt), LIMITS)


def test_the_size_cap_is_checked_before_decoding_and_the_pixel_cap_after_the_header():
    with pytest.raises(images.ImageRejected):
        images.intake(picture() + b"\0" * 200_000, LIMITS)
    with translation.override("en"), pytest.raises(images.ImageRejected, match="pixels"):
        images.intake(picture(size=(200, 200)), LIMITS)


def _paper(world, scan: bytes, name: str = "sheet.png") -> dict:
    return {
        "household": world.h1.pk,
        "version": world.version.pk,
        "method": "paper",
        "signatory": "户主",
        "witness": "台区经理",
        "signed_on": dt.date(2025, 3, 1).isoformat(),
        "scan": SimpleUploadedFile(name, scan),
    }


def test_a_tiff_scan_is_refused_by_the_api(client):
    world = World()
    client.force_login(world.m1)
    response = client.post("/api/pledges/pledges/", _paper(world, picture("TIFF"), "a.tif"))
    assert response.status_code == 400 and response.json()["code"] == "bad_scan"
    assert not Pledge.objects.exists()


def test_the_scan_size_cap_is_one_setting_for_the_page_the_api_and_the_help_text(client, settings):
    settings.PLEDGES_SCAN_MAX_BYTES = 3 * 1024 * 1024 // 2  # 1.5 MB
    big = picture() + b"\0" * (2 * 1024 * 1024)
    world = World()
    client.force_login(world.m1)
    api = client.post("/api/pledges/pledges/", _paper(world, big))
    assert api.status_code == 400 and api.json()["code"] == "bad_scan"
    page = client.post(
        reverse("pledges:paper_signing") + f"?household={world.h1.pk}",
        {k: v for k, v in _paper(world, big).items() if k not in ("household", "method")},
    )
    assert page.status_code == 400 and "scan" in page.context["form"].errors
    assert not Pledge.objects.exists()
    with translation.override("en"):
        assert "at most 1.5 MB" in str(PaperSigningForm().fields["scan"].help_text)
