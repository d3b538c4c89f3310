"""Signing online and on paper, renewal and withdrawal, and every refusal."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from pledges import errors
from pledges.compact import scans, signing
from pledges.compact import services as compact_services
from pledges.compact.signing import Signing
from pledges.models import Pledge, PledgeEvent
from tests.factories import villager_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (msgids); the site default is Chinese."""
    with translation.override("en"):
        yield


def sign_online(*, household, version, by, confirm):
    """The villager's page and the API: one Signing, the one service."""
    return signing.sign(
        signing=Signing(household=household, method="online", version=version, confirm=confirm),
        by=by,
    )


def record_paper(*, household, version, signatory, witness, signed_on, by, scan=None):
    """The paper form and the API: the scan goes through the intake at the boundary."""
    return signing.sign(
        signing=Signing(
            household=household,
            method="paper",
            version=version,
            signatory=signatory,
            witness=witness,
            signed_on=signed_on,
            scan=scans.process(scan) if scan is not None else None,
        ),
        by=by,
    )


def renew(*, pledge, version, by, confirm=False, signatory="", witness="", signed_on=None):
    return signing.renew(
        pledge=pledge,
        signing=Signing(
            household=pledge.household,
            method=signing.method_for(by),
            version=version,
            confirm=confirm,
            signatory=signatory,
            witness=witness,
            signed_on=signed_on,
        ),
        by=by,
    )


def jpeg_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, format="PNG")
    return out.getvalue()


def test_villager_signs_the_compact_in_force_online(world):
    villager = villager_for(world.h1)
    pledge = sign_online(household=world.h1, version=world.version, by=villager, confirm=True)
    assert pledge.status == Pledge.Status.ACTIVE
    assert pledge.method == Pledge.Method.ONLINE
    assert pledge.signed_by == villager
    assert PledgeEvent.objects.filter(pledge=pledge, to_status="active").count() == 1


def test_signing_without_explicit_confirmation_is_refused(world):
    villager = villager_for(world.h1)
    with pytest.raises(errors.ConfirmationRequired):
        sign_online(household=world.h1, version=world.version, by=villager, confirm=False)
    assert not Pledge.objects.exists()


def test_signing_twice_is_refused_and_changes_nothing(world):
    villager = villager_for(world.h1)
    sign_online(household=world.h1, version=world.version, by=villager, confirm=True)
    with pytest.raises(errors.AlreadySigned):
        sign_online(household=world.h1, version=world.version, by=villager, confirm=True)
    assert Pledge.objects.filter(household=world.h1).count() == 1
    assert PledgeEvent.objects.count() == 1


def test_villager_cannot_sign_for_another_household(world):
    villager = villager_for(world.h1)
    with pytest.raises(errors.NotAllowed):
        sign_online(household=world.h2, version=world.version, by=villager, confirm=True)
    assert not Pledge.objects.exists()


def test_signing_a_superseded_version_is_refused(world):
    draft = compact_services.compact_new_version(compact=world.compact, by=world.staff)
    compact_services.compact_publish(
        version=draft, effective_from=dt.date(2025, 1, 1), by=world.staff
    )
    world.version.refresh_from_db()
    villager = villager_for(world.h1)
    with pytest.raises(errors.VersionNotSignable):
        sign_online(household=world.h1, version=world.version, by=villager, confirm=True)
    assert not Pledge.objects.exists()


def test_signing_a_draft_is_refused(world):
    draft = compact_services.compact_new_version(compact=world.compact, by=world.staff)
    with pytest.raises(errors.VersionNotSignable):
        record_paper(
            household=world.h1,
            version=draft,
            signatory="张三",
            witness="李四",
            signed_on=dt.date(2025, 3, 1),
            by=world.m1,
        )
    assert not Pledge.objects.exists()


def test_signing_a_compact_of_another_village_is_refused(world):
    v1_compact = compact_services.compact_create(
        station=world.station,
        title="一村约",
        scope="village",
        village=world.v1,
        clauses=[{"kind": "protection", "text": "护线"}],
        by=world.staff,
    )
    version = compact_services.compact_publish(
        version=v1_compact.versions.get(), effective_from=dt.date(2024, 6, 1), by=world.staff
    )
    villager = villager_for(world.h4)  # lives in village 2
    with pytest.raises(errors.WrongVillage):
        sign_online(household=world.h4, version=version, by=villager, confirm=True)
    assert not Pledge.objects.exists()
    # ...and for village 1 the village's own compact wins over the station's.
    with pytest.raises(errors.VersionNotSignable):
        record_paper(
            household=world.h1,
            version=world.version,
            signatory="张三",
            witness="李四",
            signed_on=dt.date(2025, 3, 1),
            by=world.m1,
        )


def test_grid_manager_records_a_paper_signing_with_a_reencoded_scan(world):
    upload = SimpleUploadedFile("sheet.png", jpeg_bytes(), content_type="image/png")
    pledge = record_paper(
        household=world.h1,
        version=world.version,
        signatory="户主甲",
        witness="台区经理",
        signed_on=dt.date(2025, 3, 1),
        scan=upload,
        by=world.m1,
    )
    pledge.refresh_from_db()
    assert pledge.method == "paper" and pledge.recorded_by == world.m1
    assert pledge.witness_name == "台区经理"
    assert pledge.scan.name.endswith(".jpg")
    with Image.open(pledge.scan.path) as img:
        assert img.format == "JPEG"
    assert pledge.signed_at.date() == dt.date(2025, 3, 1)


def test_corrupt_scan_is_refused_and_nothing_saved(world):
    upload = SimpleUploadedFile("sheet.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg")
    with pytest.raises(errors.BadScan):
        record_paper(
            household=world.h1,
            version=world.version,
            signatory="户主甲",
            witness="台区经理",
            signed_on=dt.date(2025, 3, 1),
            scan=upload,
            by=world.m1,
        )
    assert not Pledge.objects.exists()


def test_grid_manager_cannot_record_outside_their_district(world):
    with pytest.raises(errors.NotAllowed):
        record_paper(
            household=world.h4,
            version=world.version,
            signatory="户主",
            witness="见证",
            signed_on=dt.date(2025, 3, 1),
            by=world.m1,
        )
    assert not Pledge.objects.exists()


def test_paper_signing_needs_a_witness_and_a_past_date(world):
    with pytest.raises(errors.BadInput):
        record_paper(
            household=world.h1,
            version=world.version,
            signatory="户主",
            witness=" ",
            signed_on=dt.date(2025, 3, 1),
            by=world.m1,
        )
    with pytest.raises(errors.BadInput):
        record_paper(
            household=world.h1,
            version=world.version,
            signatory="户主",
            witness="见证",
            signed_on=timezone.localdate() + dt.timedelta(days=3),
            by=world.m1,
        )
    assert not Pledge.objects.exists()


def test_renewal_to_a_new_version_keeps_history(world):
    villager = villager_for(world.h1)
    old = sign_online(household=world.h1, version=world.version, by=villager, confirm=True)
    draft = compact_services.compact_new_version(compact=world.compact, by=world.staff)
    v2 = compact_services.compact_publish(
        version=draft, effective_from=dt.date(2025, 1, 1), by=world.staff
    )

    new = renew(pledge=old, version=v2, by=villager, confirm=True)

    old.refresh_from_db()
    assert old.status == Pledge.Status.RENEWED and old.ended_at is not None
    assert new.previous == old and new.version == v2 and new.status == "active"
    assert Pledge.objects.filter(household=world.h1).count() == 2
    assert list(PledgeEvent.objects.filter(pledge=old).values_list("from_status", "to_status")) == [
        ("", "active"),
        ("active", "renewed"),
    ]


def test_renewal_of_the_same_version_after_the_period(world):
    old = record_paper(
        household=world.h1,
        version=world.version,
        signatory="户主",
        witness="见证",
        signed_on=dt.date(2024, 2, 1),
        by=world.m1,
    )
    new = renew(
        pledge=old,
        version=world.version,
        signatory="户主",
        witness="见证",
        signed_on=timezone.localdate(),
        by=world.m1,
    )
    old.refresh_from_db()
    assert old.status == "renewed" and new.previous_id == old.pk and new.status == "active"
    assert Pledge.objects.filter(household=world.h1, status="active").count() == 1


def test_withdrawal_keeps_the_row_and_allows_signing_again(world):
    villager = villager_for(world.h1)
    pledge = sign_online(household=world.h1, version=world.version, by=villager, confirm=True)
    signing.pledge_withdraw(pledge=pledge, by=villager, note="搬走了")
    pledge.refresh_from_db()
    assert pledge.status == "withdrawn"
    with pytest.raises(errors.InvalidTransition):
        signing.pledge_withdraw(pledge=pledge, by=villager)
    sign_online(household=world.h1, version=world.version, by=villager, confirm=True)
    assert Pledge.objects.filter(household=world.h1).count() == 2
    assert PledgeEvent.objects.filter(pledge=pledge, to_status="withdrawn").count() == 1


def test_villager_cannot_withdraw_another_households_pledge(world):
    pledge = sign_online(
        household=world.h1, version=world.version, by=villager_for(world.h1), confirm=True
    )
    with pytest.raises(errors.NotAllowed):
        signing.pledge_withdraw(pledge=pledge, by=villager_for(world.h2))
    pledge.refresh_from_db()
    assert pledge.status == "active"


def test_signing_records_the_grids_statistics_refresh_in_its_transaction(world):
    from django.db import transaction

    from houhu.outbox.models import Job

    with pytest.raises(RuntimeError), transaction.atomic():
        sign_online(
            household=world.h1, version=world.version, by=villager_for(world.h1), confirm=True
        )
        assert Job.objects.filter(name="stats.refresh_district").count() == 1
        raise RuntimeError("rolled back")
    assert not Job.objects.exists()  # nothing for a change that did not happen
    sign_online(household=world.h1, version=world.version, by=villager_for(world.h1), confirm=True)
    (job,) = Job.objects.all()
    assert job.payload == {"district_id": world.d1.pk}
