"""Recompute the chains in PostgreSQL and name the first broken entry of each station.

One query: every entry's content hash is recomputed by the same SQL function that wrote it
(houhu.ledger.sql), and each entry is compared with the one before it by a window over
(station, seq), so the check is two scans of the table inside the database, none of it
sent to Python (its speed: bench/bench_ledger.py, docs/ledger.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from .sql import GENESIS

# What can be wrong with an entry, first match wins (a changed content also breaks the
# entry hash; the cause is the more useful name).
# An operator's tool: English, like the rest of manage.py's output.
PROBLEMS = {
    "content": (
        "its content (actor, time, object, action or data) is not what was hashed when it "
        "was written"
    ),
    "gap": "the entries before it are missing (the previous one is #%(prev)s)",
    "link": (
        "it does not follow the entry before it: an entry was inserted, removed or moved before it"
    ),
    "hash": "its entry hash does not match its place in the chain (renumbered or moved)",
}

_FIRST_BREAKS = f"""
WITH content AS (
    SELECT station_id, seq, 'content' AS problem, NULL::bigint AS prev_seq
      FROM ledger_entry
     WHERE {{where}}
       AND content_hash <> ledger_content_hash(actor_id, at, object_kind, object_id, action,
                                               data)
), links AS (
    SELECT station_id, seq, CASE
        WHEN seq <> coalesce(prev_seq, 0) + 1 THEN 'gap'
        WHEN prev_hash <> coalesce(prev_entry, {GENESIS}) THEN 'link'
        WHEN entry_hash <> ledger_entry_hash(station_id, seq, prev_hash, content_hash)
            THEN 'hash'
    END AS problem, prev_seq
      FROM (
        -- Only the narrow columns go through the window: with `data` in its row store the
        -- whole pass took twice as long.
        SELECT station_id, seq, prev_hash, entry_hash, content_hash,
               lag(seq) OVER w AS prev_seq, lag(entry_hash) OVER w AS prev_entry
          FROM ledger_entry
         WHERE {{where}}
        WINDOW w AS (PARTITION BY station_id ORDER BY seq)
      ) e
), found AS (
    SELECT * FROM content
    UNION ALL
    SELECT * FROM links WHERE problem IS NOT NULL
)
SELECT DISTINCT ON (f.station_id) f.station_id, f.seq, l.object_kind, l.object_id, l.action,
       f.problem, f.prev_seq
  FROM found f JOIN ledger_entry l ON l.station_id = f.station_id AND l.seq = f.seq
 ORDER BY f.station_id, f.seq, f.problem = 'content' DESC
"""  # noqa: S608 - GENESIS is a constant; {where} one of two fixed conditions

# Each station's last entry (before `until`): walks the (station, seq) index backwards.
_HEADS = """
SELECT s.id, e.seq, e.entry_hash, e.at
  FROM unnest(%(stations)s::bigint[]) AS s(id)
 CROSS JOIN LATERAL (
    SELECT seq, entry_hash, at FROM ledger_entry
     WHERE station_id = s.id AND (%(until)s::timestamptz IS NULL OR at < %(until)s)
     ORDER BY seq DESC LIMIT 1
 ) e
"""


@dataclass(frozen=True)
class Break:
    station_id: int
    seq: int
    object: str  # "report:12"
    action: str
    problem: str  # a key of PROBLEMS
    prev_seq: int | None

    def describe(self) -> str:
        reason = PROBLEMS[self.problem] % {"prev": self.prev_seq or 0}
        return (
            f"station {self.station_id}, entry #{self.seq} ({self.object}, {self.action}): {reason}"
        )


@dataclass(frozen=True)
class Head:
    """The last entry of a station's chain: what the county keeps a copy of."""

    station_id: int
    seq: int  # also the number of entries up to it
    hash: str  # hex
    at: dt.datetime

    @property
    def date(self) -> dt.date:
        return timezone.localdate(self.at)

    def __str__(self) -> str:
        return f"{self.hash}@{self.date.isoformat()}"


def first_breaks(station_id: int | None = None) -> list[Break]:
    """The first broken entry of each station's chain (of one station), none if intact."""
    with connection.cursor() as cursor:
        # Two texts rather than "station IS NULL OR ...": with a plain condition the
        # planner walks the (station, seq) index in order and the window needs no sort.
        where = "true" if station_id is None else "station_id = %(station)s"
        cursor.execute(_FIRST_BREAKS.replace("{where}", where), {"station": station_id})
        return [
            Break(row[0], row[1], f"{row[2]}:{row[3]}", row[4], row[5], row[6])
            for row in cursor.fetchall()
        ]


def stations() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT station_id FROM ledger_entry ORDER BY 1")
        return [row[0] for row in cursor.fetchall()]


def heads(station_ids: list[int], *, until: dt.datetime | None = None) -> dict[int, Head]:
    """Each station's head now, or its last entry dated before `until` (a month's end)."""
    with connection.cursor() as cursor:
        cursor.execute(_HEADS, {"stations": list(station_ids), "until": until})
        return {
            row[0]: Head(row[0], row[1], bytes(row[2]).hex(), row[3]) for row in cursor.fetchall()
        }


def find_head(hash_hex: str) -> Head | None:
    """The entry a kept head names, wherever it is in its chain (None: not in the ledger)."""
    try:
        digest = bytes.fromhex(hash_hex)
    except ValueError:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT station_id, seq, entry_hash, at FROM ledger_entry WHERE entry_hash = %s",
            [digest],
        )
        row = cursor.fetchone()
    return Head(row[0], row[1], bytes(row[2]).hex(), row[3]) if row else None
