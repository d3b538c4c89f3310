"""ONE service signs a pledge (pledges/compact/signing.py): the villager's page, the paper
form, the API and the CSV import refuse and accept the same signings, by the same rules.
On the main branch before issue 11, only the CSV import refused a date before the compact
took effect or an inactive household; the paper form and the API took them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from pledges.compact import signing
from pledges.compact.csv_import import import_pledges
from pledges.models import Pledge, PledgeEvent
from tests.factories import villager_for

from .factories import PledgeFactory, World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "white").save(out, format="PNG")
    return out.getvalue()


def paper_form(client, world, household, signed_on: dt.date) -> str | None:
    """The staff page; returns the refusal shown, or None when recorded."""
    client.force_login(world.m1)
    response = client.post(
        reverse("pledges:paper_signing") + f"?household={household.pk}",
        {
            "household": household.pk,
            "signed_on": signed_on.isoformat(),
            "signatory": "户主",
            "witness": "台区经理",
            "scan": SimpleUploadedFile("sheet.png", _png()),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    if response.status_code == 302:
        return None
    return " ".join(str(m) for m in response.context["messages"])


def paper_api(client, world, household, signed_on: dt.date) -> str | None:
    client.force_login(world.m1)
    response = client.post(
        "/api/pledges/pledges/",
        {
            "household": household.pk,
            "version": world.version.pk,
            "method": "paper",
            "signatory": "户主",
            "witness": "台区经理",
            "signed_on": signed_on.isoformat(),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    return None if response.status_code == 201 else response.json()["detail"]


def paper_csv(client, world, household, signed_on: dt.date) -> str | None:
    text = f"customer_number,signed_on,signatory,witness\n{household.customer_number},"
    text += f"{signed_on.isoformat()},户主,台区经理\n"
    report = import_pledges(file=text.encode(), by=world.m1)
    return None if report.ok else " ".join(report.rejected[0].reasons)


PAPER_ENTRIES = [paper_form, paper_api, paper_csv]


@pytest.mark.parametrize("entry", PAPER_ENTRIES)
def test_no_entry_point_takes_a_signing_dated_before_the_compact_took_effect(client, entry):
    world = World()  # the version in force took effect on 2024-01-01
    refusal = entry(client, world, world.h1, dt.date(2023, 12, 31))
    assert refusal is not None and "before the compact took effect (2024-01-01)" in refusal
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("entry", PAPER_ENTRIES)
def test_no_entry_point_takes_a_signing_dated_in_the_future(client, entry):
    world = World()
    refusal = entry(client, world, world.h1, timezone.localdate() + dt.timedelta(days=2))
    assert refusal is not None
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("entry", PAPER_ENTRIES)
def test_no_entry_point_signs_for_a_household_that_is_no_longer_a_customer(client, entry):
    world = World()
    world.h1.is_active = False
    world.h1.save(update_fields=["is_active"])
    refusal = entry(client, world, world.h1, dt.date(2025, 3, 1))
    assert refusal is not None and "no longer an active customer" in refusal
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("entry", PAPER_ENTRIES)
def test_every_entry_point_records_the_same_pledge(client, entry):
    world = World()
    assert entry(client, world, world.h1, dt.date(2025, 3, 1)) is None
    pledge = Pledge.objects.get()
    assert (pledge.household, pledge.version, pledge.method) == (world.h1, world.version, "paper")
    assert pledge.signed_at.date() == dt.date(2025, 3, 1)
    assert (pledge.witness_name, pledge.recorded_by) == ("台区经理", world.m1)
    assert PledgeEvent.objects.filter(pledge=pledge, to_status="active").count() == 1


def test_the_villager_page_renews_a_due_pledge_through_the_same_service(client, settings):
    settings.PLEDGES_RENEWAL_DAYS = 30
    world = World()
    old = PledgeFactory(
        household=world.h1,
        version=world.version,
        signed_at=timezone.now() - dt.timedelta(days=60),
    )
    villager = villager_for(world.h1)
    client.force_login(villager)
    client.post(reverse("pledges:sign"), {"version": world.version.pk, "confirm": "on"})
    old.refresh_from_db()
    new = Pledge.objects.get(status="active")
    assert old.status == "renewed" and new.previous == old and new.method == "online"


def test_a_pledge_that_is_not_due_is_not_signed_again_on_the_same_version(client):
    world = World()
    PledgeFactory(household=world.h1, version=world.version)
    with pytest.raises(signing.errors.AlreadySigned):
        signing.sign(
            signing=signing.Signing(
                household=world.h1,
                method="online",
                version=world.version,
                confirm=True,
            ),
            by=villager_for(world.h1),
        )
    assert Pledge.objects.count() == 1


def test_the_rules_are_one_table_checked_in_order():
    names = [rule.name for rule in signing.RULES]
    assert names[0] == "who may sign"
    assert "signed on a date between the compact taking effect and today" in names
    assert len(names) == len(set(names))
