"""Report photos and signed pledge scans are served only through the permission-checked
views (houhu/lib/protected_files.py, patrols/files.py, pledges/compact/files.py), at URLs
naming the record, never a file; nothing is served under /media/."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from houhu.accounts.models import User
from patrols.models import ReportPhoto
from patrols.photos import make_thumbnails
from tests.factories import UserFactory
from tests.patrols.factories import build_grid, image_file, submit, tree_data
from tests.pledges.factories import PledgeFactory, PublishedVersionFactory

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def w():
    g = build_grid()
    g.report, _ = submit(
        reporter=g.villager, client_id=uuid.uuid4(), data=tree_data(), photos=[image_file()]
    )
    g.photo = ReportPhoto.objects.get()
    make_thumbnails([g.photo.pk])
    g.photo.refresh_from_db()
    version = PublishedVersionFactory(compact__station=g.station)
    g.pledge = PledgeFactory(household=g.household, version=version, recorded_by=g.manager)
    g.pledge.scan.save("sheet.jpg", ContentFile(jpeg()))
    g.admin = UserFactory(role=User.Role.ADMIN, station=g.station)
    return g


def urls(w) -> list[str]:
    return [
        f"/files/report-photo/{w.photo.pk}/",
        f"/files/report-photo/{w.photo.pk}/thumb/",
        f"/files/pledge-scan/{w.pledge.pk}/",
    ]


def get(client, user, url, **headers):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url, headers=headers)


def test_anonymous_is_refused(client, w):
    for url in urls(w):
        assert get(client, None, url).status_code in (401, 403), url


@pytest.mark.parametrize(
    "who", ["other_villager", "other_manager", "other_staff", "leader", "neighbour"]
)
def test_others_get_404_as_if_nothing_were_there(client, w, who):
    from tests.factories import HouseholdFactory, villager_for

    user = (
        villager_for(HouseholdFactory(transformer_area=w.ta, village=w.village))
        if who == "neighbour"
        else getattr(w, who)
    )
    for url in urls(w):
        assert get(client, user, url).status_code == 404, (who, url)


@pytest.mark.parametrize("who", ["villager", "manager", "staff", "admin"])
def test_the_owner_and_grid_staff_get_the_bytes(client, w, who):
    for url in urls(w):
        answer = get(client, getattr(w, who), url)
        assert answer.status_code == 200, (who, url)
        assert answer["Content-Type"] == "image/jpeg"
        assert answer["Cache-Control"] == "private, no-cache"
        assert "sheet" not in answer.get("Content-Disposition", "")  # no stored file name
        content = b"".join(answer.streaming_content)
        assert Image.open(io.BytesIO(content)).format == "JPEG"
    thumb = get(client, w.manager, urls(w)[1])
    assert b"".join(thumb.streaming_content) == w.photo.thumbnail.open("rb").read()


def test_with_x_accel_redirect_nginx_sends_the_file(client, w, settings):
    settings.HOUHU_X_ACCEL_REDIRECT = "/protected/"
    answer = get(client, w.manager, urls(w)[2])
    assert answer.status_code == 200
    assert answer["X-Accel-Redirect"] == f"/protected/{w.pledge.scan.name}"
    assert answer.content == b""
    assert answer["Cache-Control"] == "private, no-cache"
    # Still checked first: the header goes only to those who may read the file.
    assert get(client, w.leader, urls(w)[2]).status_code == 404
    assert not get(client, w.leader, urls(w)[2]).has_header("X-Accel-Redirect")


def test_a_revalidation_costs_no_bytes_but_is_checked_each_time(client, w):
    first = get(client, w.manager, urls(w)[0])
    again = get(client, w.manager, urls(w)[0], if_none_match=first["ETag"])
    assert again.status_code == 304
    assert get(client, w.other_manager, urls(w)[0], if_none_match=first["ETag"]).status_code == 404


def test_access_lost_is_refused_at_once(client, w):
    assert get(client, w.manager, urls(w)[0]).status_code == 200
    w.district.manager = w.other_manager
    w.district.save(update_fields=["manager"])
    for url in urls(w):
        assert get(client, w.manager, url).status_code == 404


def test_nothing_is_served_under_media(client, w):
    assert get(client, w.admin, f"/media/{w.photo.image.name}").status_code == 404
    assert get(client, w.admin, f"/media/{w.pledge.scan.name}").status_code == 404


def test_answers_and_pages_link_the_views_never_a_media_path(client, w):
    root = UserFactory(role=User.Role.ADMIN, is_superuser=True, is_staff=True)
    detail = get(client, w.villager, f"/api/patrols/reports/{w.report.pk}/").json()
    assert detail["photos"][0]["url"] == urls(w)[0]
    assert detail["photos"][0]["thumbnail_url"] == urls(w)[1]
    pledges = get(client, w.villager, "/api/pledges/pledges/").json()
    assert pledges["results"][0]["scan"] == urls(w)[2]
    for user, url in [
        (w.villager, f"/api/patrols/reports/{w.report.pk}/"),
        (w.staff, "/api/pledges/pledges/"),
        (root, f"/admin/patrols/report/{w.report.pk}/change/"),
        (root, f"/admin/pledges/pledge/{w.pledge.pk}/change/"),
    ]:
        text = get(client, user, url).content.decode()
        assert "/media/" not in text and w.photo.image.name not in text, url
    admin_report = get(client, root, f"/admin/patrols/report/{w.report.pk}/change/").content
    assert urls(w)[0].encode() in admin_report


def test_a_leader_reads_the_report_and_pledge_without_photos_or_scan(client, w):
    detail = get(client, w.leader, f"/api/patrols/reports/{w.report.pk}/").json()
    assert detail["photos"] == []
    pledges = get(client, w.leader, "/api/pledges/pledges/").json()
    assert [p["scan"] for p in pledges["results"]] == [None]
