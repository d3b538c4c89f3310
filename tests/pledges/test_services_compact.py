"""Versioning rules of the compact: drafts are edited, published versions never are."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from pledges import errors
from pledges.compact import services
from pledges.models import Clause, Compact, CompactVersion, CompactVersionEvent
from tests.factories import UserFactory

from .factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (msgids); the site default is Chinese."""
    with translation.override("en"):
        yield


def test_staff_creates_a_draft_compact_with_numbered_clauses(world):
    compact = services.compact_create(
        station=world.station,
        title="后湖供电所村规民约",
        clauses=[
            {"kind": "protection", "text": "保护线路"},
            {"kind": "rcd", "text": "安装漏电保护器"},
        ],
        by=world.staff,
    )
    version = compact.versions.get()
    assert version.status == CompactVersion.Status.DRAFT
    assert list(version.clauses.values_list("number", "kind")) == [(1, "protection"), (2, "rcd")]
    assert CompactVersionEvent.objects.filter(version=version, to_status="draft").count() == 1


def test_grid_manager_cannot_write_the_compact(world):
    with pytest.raises(errors.NotAllowed):
        services.compact_create(station=world.station, title="x", by=world.m1)
    assert not Compact.objects.filter(title="x").exists()


def test_district_compact_requires_its_district(world):
    with pytest.raises(errors.BadInput):
        services.compact_create(
            station=world.station, title="网格约", scope=Compact.Scope.DISTRICT, by=world.staff
        )
    compact = services.compact_create(
        station=world.station, title="网格约", scope="district", district=world.d1, by=world.staff
    )
    assert compact.district == world.d1


def test_publishing_a_new_version_supersedes_the_old_one_which_stays_readable(world):
    draft = services.compact_new_version(compact=world.compact, by=world.staff)
    assert draft.number == 2
    assert list(draft.clauses.values_list("number", "text")) == list(
        world.version.clauses.values_list("number", "text")
    )
    services.clause_add(
        version=draft, kind="temporary_power", text="临时用电正式申请", by=world.staff
    )
    services.compact_publish(version=draft, effective_from=dt.date(2025, 1, 1), by=world.staff)

    world.version.refresh_from_db()
    draft.refresh_from_db()
    assert world.version.status == CompactVersion.Status.SUPERSEDED
    assert world.version.superseded_at is not None
    assert world.version.clauses.count() == 2  # the old text is untouched
    assert draft.status == CompactVersion.Status.PUBLISHED
    assert draft.published_by == world.staff
    assert draft.clauses.count() == 3
    assert list(
        CompactVersionEvent.objects.filter(version=world.version).values_list(
            "from_status", "to_status"
        )
    ) == [("published", "superseded")]


def test_a_published_version_is_never_edited_in_place(world):
    clause = world.version.clauses.first()
    with pytest.raises(errors.VersionFrozen):
        services.clause_add(version=world.version, kind="other", text="x", by=world.staff)
    with pytest.raises(errors.VersionFrozen):
        services.clause_update(clause=clause, text="改过的", by=world.staff)
    with pytest.raises(errors.VersionFrozen):
        services.clause_delete(clause=clause, by=world.staff)
    with pytest.raises(errors.VersionFrozen):
        services.version_update(version=world.version, change_note="x", by=world.staff)
    clause.refresh_from_db()
    assert clause.text != "改过的"
    assert world.version.clauses.count() == 2


def test_publishing_twice_is_refused(world):
    with pytest.raises(errors.VersionFrozen):
        services.compact_publish(version=world.version, by=world.staff)


def test_a_second_draft_is_refused(world):
    services.compact_new_version(compact=world.compact, by=world.staff)
    with pytest.raises(errors.InvalidTransition):
        services.compact_new_version(compact=world.compact, by=world.staff)
    assert world.compact.versions.count() == 2


def test_an_empty_draft_cannot_be_published(world):
    compact = services.compact_create(station=world.station, title="空约", by=world.staff)
    with pytest.raises(errors.BadInput):
        services.compact_publish(
            version=compact.versions.get(), effective_from=dt.date(2025, 1, 1), by=world.staff
        )
    assert compact.versions.get().status == "draft"


def test_clause_insert_and_delete_keep_numbers_contiguous(world):
    draft = services.compact_new_version(compact=world.compact, by=world.staff)
    services.clause_add(version=draft, kind="rcd", text="新第一条", number=1, by=world.staff)
    assert draft.clauses.get(number=1).text == "新第一条"
    assert sorted(draft.clauses.values_list("number", flat=True)) == [1, 2, 3]
    services.clause_delete(clause=draft.clauses.get(number=2), by=world.staff)
    assert sorted(draft.clauses.values_list("number", flat=True)) == [1, 2]
    assert Clause.objects.filter(version=world.version).count() == 2


def test_staff_of_another_station_cannot_publish(world):
    other = UserFactory(role="staff", station=World().station)
    draft = services.compact_new_version(compact=world.compact, by=world.staff)
    with pytest.raises(errors.NotAllowed):
        services.compact_publish(version=draft, effective_from=dt.date(2025, 1, 1), by=other)
    draft.refresh_from_db()
    assert draft.status == "draft"
