"""Bulk import of the paper roll-out: all-or-nothing, every bad row reported with reasons."""

from __future__ import annotations

import pytest
from django.utils import translation

from pledges import errors
from pledges.compact import services
from pledges.compact.csv_import import import_pledges, parse_date
from pledges.models import Pledge, PledgeEvent
from tests.factories import HouseholdFactory, villager_for

from .factories import PledgeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (msgids); the site default is Chinese."""
    with translation.override("en"):
        yield


def csv_of(*rows: str, header: str = "customer_number,signed_on,signatory,witness") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_good_rows_create_paper_pledges_with_events(world):
    data = csv_of(
        f"{world.h1.customer_number},2024-03-05,张大,台区经理王",
        f"{world.h2.customer_number},2024/3/6,李二,台区经理王",
    )
    report = import_pledges(file=data, by=world.m1)
    assert report.ok and report.imported == 2 and report.total_rows == 2
    pledges = Pledge.objects.order_by("household__customer_number")
    assert [(p.household, p.method, p.witness_name, p.recorded_by) for p in pledges] == [
        (world.h1, "paper", "台区经理王", world.m1),
        (world.h2, "paper", "台区经理王", world.m1),
    ]
    assert pledges[1].signed_at.date().isoformat() == "2024-03-06"
    assert PledgeEvent.objects.filter(to_status="active").count() == 2


def test_one_bad_row_imports_nothing_and_every_reason_is_reported(world):
    PledgeFactory(household=world.h3, version=world.version)
    outsider = HouseholdFactory()  # another station's grid
    early = HouseholdFactory(transformer_area=world.ta1, village=world.v1)
    data = csv_of(
        f"{world.h1.customer_number},2024-03-05,张大,王",  # good
        "4299999999,2024-03-05,无名,王",  # unknown
        f"{world.h1.customer_number},2024-03-07,张大,王",  # duplicate of line 2
        f"{world.h2.customer_number},2024-13-40,李二,",  # bad date and no witness
        f"{world.h3.customer_number},2024-03-05,赵三,王",  # already signed
        f"{world.h4.customer_number},2024-03-05,钱四,王",  # other grid (manager 1)
        f"{outsider.customer_number},2024-03-05,孙五,王",  # other station
        f"{early.customer_number},2023-12-31,周六,王",  # before the version took effect
    )
    report = import_pledges(file=data, by=world.m1)

    assert not report.ok and report.imported == 0
    reasons = {r.line: r.reasons for r in report.rejected}
    assert set(reasons) == {3, 4, 5, 6, 7, 8, 9}
    assert reasons[3] == ["unknown customer number"]
    assert reasons[4] == ["duplicate of line 2"]
    # The same rules, and words, as the paper form and the API (pledges/compact/signing.py).
    assert reasons[5] == [
        "bad date “2024-13-40” (use YYYY-MM-DD)",
        "Enter the witness of the paper signing.",
    ]
    assert reasons[6] == ["This household has already signed this version of the compact."]
    assert reasons[7] == ["This household is outside your service grids."]
    assert reasons[8] == ["This household is outside your service grids."]
    assert reasons[9] == ["The signing date is before the compact took effect (2024-01-01)."]
    assert Pledge.objects.count() == 1  # only the pre-existing one
    assert not PledgeEvent.objects.exists()


def test_chinese_headers_and_gb18030_from_excel(world):
    text = f"户号,签订日期,签字人,见证人\n{world.h1.customer_number},2024年3月5日,张大,王\n"
    report = import_pledges(file=text.encode("gb18030"), by=world.staff)
    assert report.ok and report.imported == 1
    assert Pledge.objects.get().signatory_name == "张大"


def test_missing_column_is_a_file_error(world):
    report = import_pledges(
        file=csv_of(f"{world.h1.customer_number},2024-03-05", header="户号,签订日期"),
        by=world.staff,
    )
    assert not report.ok and report.file_errors and "signatory" in report.file_errors[0]
    assert not Pledge.objects.exists()


def test_import_renews_a_pledge_on_an_older_version(world):
    import datetime as dt

    old = PledgeFactory(household=world.h1, version=world.version)
    draft = services.compact_new_version(compact=world.compact, by=world.staff)
    v2 = services.compact_publish(version=draft, effective_from=dt.date(2025, 1, 1), by=world.staff)
    report = import_pledges(
        file=csv_of(f"{world.h1.customer_number},2025-02-01,张大,王"), by=world.staff
    )
    assert report.ok and (report.imported, report.renewed) == (1, 1)
    old.refresh_from_db()
    assert old.status == "renewed"
    assert Pledge.objects.get(status="active").version == v2


def test_dry_run_saves_nothing(world):
    report = import_pledges(
        file=csv_of(f"{world.h1.customer_number},2024-03-05,张大,王"), by=world.staff, dry_run=True
    )
    assert report.ok and report.imported == 0
    assert not Pledge.objects.exists()


def test_villagers_and_leaders_cannot_import(world):
    data = csv_of(f"{world.h1.customer_number},2024-03-05,张大,王")
    for user in (villager_for(world.h1), world.leader):
        with pytest.raises(errors.NotAllowed):
            import_pledges(file=data, by=user)
    assert not Pledge.objects.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024/3/5", "2024-03-05"),
        ("2024.03.05", "2024-03-05"),
        ("2024年3月5日", "2024-03-05"),
        ("20240305", "2024-03-05"),
        ("2024-02-30", None),
        ("05/03/2024", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    result = parse_date(text)
    assert (result.isoformat() if result else None) == expected
