"""A household is signed at an instant when one of its pledges is in force then
(pledges.figures): the ORM form the coverage pages use and the SQL form the snapshots use
count the same households at every instant, renewals, withdrawals and gaps included."""

from __future__ import annotations

# The SQL below is pledges.figures' own, with bound values.
# ruff: noqa: S608
import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from pledges import figures
from pledges.models import Pledge
from tests.factories import HouseholdFactory
from tests.pledges.factories import PledgeFactory, PublishedVersionFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2025, 1, 1, tzinfo=TZ)


def _histories(rng):
    versions = [PublishedVersionFactory() for _ in range(3)]
    for _ in range(30):
        household = HouseholdFactory()
        at = T0 + dt.timedelta(days=rng.uniform(0, 200))
        previous = None
        for version in versions[: rng.randint(0, 3)]:
            p = PledgeFactory(household=household, version=version, signed_at=at,
                              previous=previous)  # fmt: skip
            end = at + dt.timedelta(days=rng.uniform(1, 300))
            if rng.random() < 0.7:
                # Renewed (sometimes signed again before the old one ended) or withdrawn.
                p.status = rng.choice([Pledge.Status.RENEWED, Pledge.Status.WITHDRAWN])
                p.ended_at = end
                p.save(update_fields=["status", "ended_at"])
                at = end + dt.timedelta(days=rng.choice([-3, 0, 0, 20]))
                previous = p if p.status == Pledge.Status.RENEWED else None
            else:
                break


def test_orm_and_sql_forms_of_signed_count_the_same_households():
    _histories(random.Random(7))
    instants = [T0 + dt.timedelta(days=d) for d in range(0, 700, 23)]
    first, last = figures.pledge_in_force_instants_sql("p", "%(instants)s", "%(n)s")
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT g.k, count(DISTINCT p.household_id)
                FROM generate_series(1, %(n)s) AS g(k)
                LEFT JOIN pledges_pledge p ON g.k BETWEEN {first} AND {last}
                GROUP BY g.k ORDER BY g.k""",
            {"instants": instants, "n": len(instants)},
        )
        by_sql = [n for _k, n in cur.fetchall()]
    from houhu.grid.models import Household

    by_orm = [Household.objects.filter(figures.household_signed(at)).count() for at in instants]
    assert by_sql == by_orm
    assert len(set(by_orm)) > 5  # the histories move the count
