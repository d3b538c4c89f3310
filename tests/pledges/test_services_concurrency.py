"""Two submissions at the same moment: the row lock makes one win, the other gets the
clear "already signed" error, and exactly one pledge exists."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from pledges import errors
from pledges.compact import signing
from pledges.compact.signing import Signing
from pledges.models import Pledge, PledgeEvent
from tests.factories import villager_for

from .factories import World


@pytest.mark.django_db(transaction=True)
def test_simultaneous_double_submission_creates_one_pledge():
    world = World()
    villager = villager_for(world.h1)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def sign() -> None:
        try:
            barrier.wait(timeout=10)
            signing.sign(
                signing=Signing(
                    household=world.h1, method="online", version=world.version, confirm=True
                ),
                by=villager,
            )
            outcomes.append("signed")
        except errors.AlreadySigned:
            outcomes.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == ["already", "signed"]
    assert Pledge.objects.filter(household=world.h1).count() == 1
    assert PledgeEvent.objects.count() == 1
