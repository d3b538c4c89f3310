"""verify_ledger names the first broken entry of each kind of tampering done in SQL behind
the app's back, exits non-zero on it, and checks a head kept outside."""

from __future__ import annotations

import pytest
from django.core.management.base import CommandError

from houhu.ledger import verify as ledger
from patrols.models import ReportEvent
from tests.ledger.helpers import behind_the_apps_back, entries, verify
from tests.patrols.factories import ReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    """A station's chain of 8 report events."""
    report = ReportFactory()
    for _ in range(8):
        ReportEvent.objects.create(
            report=report, actor=report.reporter, action="submit", to_status="submitted"
        )
    station = report.district.station_id
    found = entries(station)
    assert len(found) >= 8
    assert "ledger intact" in verify()
    return station, found


def _broken(station) -> str:
    with pytest.raises(CommandError) as caught:
        verify("--station", str(station))
    return str(caught.value)


def test_an_updated_entry_is_named(chain):
    station, found = chain
    victim = found[4]
    behind_the_apps_back(
        'UPDATE ledger_entry SET data = data || \'{"note": "changed"}\' WHERE id = %s',
        [victim.pk],
    )
    message = _broken(station)
    assert f"entry #{victim.seq} ({victim.object_kind}:{victim.object_id}" in message
    assert "content" in message
    assert [b.seq for b in ledger.first_breaks(station)] == [victim.seq]


def test_a_deleted_entry_is_named_by_the_one_after_it(chain):
    station, found = chain
    behind_the_apps_back("DELETE FROM ledger_entry WHERE id = %s", [found[3].pk])
    message = _broken(station)
    assert f"entry #{found[4].seq} " in message
    assert f"missing (the previous one is #{found[2].seq})" in message


def test_a_reordered_entry_is_named(chain):
    station, found = chain
    a, b = found[3], found[5]
    # Swap the places of two entries, each keeping its own hashes.
    behind_the_apps_back(
        "UPDATE ledger_entry SET seq = seq + 1000000 WHERE id IN (%s, %s);"
        "UPDATE ledger_entry SET seq = CASE id WHEN %s THEN %s ELSE %s END"
        " WHERE id IN (%s, %s)",
        [a.pk, b.pk, a.pk, b.seq, a.seq, a.pk, b.pk],
    )
    message = _broken(station)
    assert f"entry #{a.seq} " in message
    assert ledger.first_breaks(station)[0].problem in {"link", "hash"}


def test_an_inserted_entry_is_named(chain):
    station, found = chain
    at = found[2]
    # Make room after entry 3 and write a well-formed entry there (its own hashes right):
    # the entry after it no longer follows.
    behind_the_apps_back(
        "UPDATE ledger_entry SET seq = seq + 1000000 WHERE station_id = %(s)s AND seq > %(k)s;"
        "UPDATE ledger_entry SET seq = seq - 999999 WHERE station_id = %(s)s AND seq > 1000000;"
        "INSERT INTO ledger_entry (station_id, seq, actor_id, at, object_kind, object_id,"
        " action, data, content_hash, prev_hash, entry_hash)"
        " SELECT %(s)s, %(k)s + 1, 1, now(), 'report', 999, 'verify', '{}',"
        " ledger_content_hash(1, now(), 'report', 999, 'verify', '{}'), entry_hash,"
        " ledger_entry_hash(%(s)s, %(k)s + 1, entry_hash,"
        "   ledger_content_hash(1, now(), 'report', 999, 'verify', '{}'))"
        " FROM ledger_entry WHERE station_id = %(s)s AND seq = %(k)s",
        {"s": station, "k": at.seq},
    )
    message = _broken(station)
    # The forged entry is consistent by itself; the one it pushed down is named.
    assert f"entry #{at.seq + 2} ({found[3].object_kind}:{found[3].object_id}" in message


def test_a_kept_head_is_checked_and_a_rewritten_chain_loses_it(chain):
    station, found = chain
    head = ledger.heads([station])[station]
    assert head.hash == found[-1].hash_hex
    assert "ledger intact" in verify("--head", str(head))
    with pytest.raises(CommandError, match="dated"):
        verify("--head", f"{head.hash}@2001-01-01")
    # Someone with database access changes an entry and recomputes every hash after it:
    # the chain is consistent again, but the head the county kept is gone from it.
    behind_the_apps_back(
        """
        UPDATE ledger_entry SET data = '{"rewritten": true}' WHERE id = %(id)s;
        DO $$
        DECLARE e record; prev bytea;
        BEGIN
            FOR e IN SELECT * FROM ledger_entry WHERE station_id = %(s)s ORDER BY seq LOOP
                IF prev IS NOT NULL THEN
                    UPDATE ledger_entry SET
                        prev_hash = prev,
                        content_hash = ledger_content_hash(actor_id, at, object_kind,
                                                           object_id, action, data),
                        entry_hash = ledger_entry_hash(station_id, seq, prev,
                            ledger_content_hash(actor_id, at, object_kind, object_id,
                                                action, data))
                    WHERE id = e.id;
                END IF;
                SELECT entry_hash INTO prev FROM ledger_entry WHERE id = e.id;
            END LOOP;
        END $$;
        """.replace("%(s)s", str(int(station))),
        {"id": found[2].pk},
    )
    assert "ledger intact" in verify("--station", str(station))
    with pytest.raises(CommandError, match="HEAD NOT FOUND"):
        verify("--head", str(head))
