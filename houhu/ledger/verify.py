"""Recompute the chains in PostgreSQL and name the first broken entry of each station.

One query: every entry's content hash is recomputed by the same SQL function that wrote it
(houhu.ledger.sql) and each entry is compared with the one before it by a window over
(station, seq), so the check is a single pass over the table in the database (docs/ledger.md
has its speed; a Python loop over the rows was about 20 times slower).
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
WITH e AS (
    SELECT station_id, seq, object_kind, object_id, action, prev_hash, entry_hash,
           content_hash,
           content_hash <> ledger_content_hash(actor_id, at, object_kind, object_id, action,
                                               data) AS bad_content,
           lag(seq) OVER w AS prev_seq,
           lag(entry_hash) OVER w AS prev_entry
      FROM ledger_entry
     WHERE {{where}}
    WINDOW w AS (PARTITION BY station_id ORDER BY seq)
), checked AS (
    SELECT *, CASE
        WHEN bad_content THEN 'content'
        WHEN seq <> coalesce(prev_seq, 0) + 1 THEN 'gap'
        WHEN prev_hash <> coalesce(prev_entry, {GENESIS}) THEN 'link'
        WHEN entry_hash <> ledger_entry_hash(station_id, seq, prev_hash, content_hash)
            THEN 'hash'
    END AS problem
      FROM e
)
SELECT DISTINCT ON (station_id) station_id, seq, object_kind, object_id, action, problem,
       prev_seq
  FROM checked WHERE problem IS NOT NULL
 ORDER BY station_id, seq
"""  # noqa: S608 - GENESIS is a constant; {where} one of two fixed conditions

_HEADS = """
SELECT DISTINCT ON (station_id) station_id, seq, entry_hash, at,
       count(*) OVER (PARTITION BY station_id)
  FROM ledger_entry
 WHERE (%(station)s::bigint IS NULL OR station_id = %(station)s::bigint)
   AND (%(until)s::timestamptz IS NULL OR at < %(until)s::timestamptz)
 ORDER BY station_id, seq DESC
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
    seq: int
    hash: str  # hex
    at: dt.datetime
    entries: int

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


def heads(station_id: int | None = None, *, until: dt.datetime | None = None) -> dict[int, Head]:
    """Each station's head now, or the last entry before `until` (a month's end)."""
    with connection.cursor() as cursor:
        cursor.execute(_HEADS, {"station": station_id, "until": until})
        return {
            row[0]: Head(row[0], row[1], bytes(row[2]).hex(), row[3], row[4])
            for row in cursor.fetchall()
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
    return Head(row[0], row[1], bytes(row[2]).hex(), row[3], 0) if row else None
