"""The small language the ledger's figures are written in, once, for both the ORM and SQL.

A figure's condition on a row ("a tree report whose clearing stands") is written ONCE, as a
`Cond` built from the models' own constants. `.q()` turns it into the Django `Q` the live
counts filter with; `.sql()` into the SQL boolean the statistics snapshots aggregate with.
Neither form is written by hand anywhere else, so the two cannot drift apart (the
cross-screen test in tests/stats/test_one_truth.py checks the numbers too).

`Ratio` is the same for rates: which count over which, and nothing else (no cap: where a
numerator can never exceed its denominator, the definition says why).

Only literal values from the models' constants (choice values, booleans) go into the SQL;
they are quoted here. Column names are the models' `attname`s, which the ORM accepts too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone


def sql_literal(value: Any) -> str:
    """A constant from the code (never user input) as an SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    return "'" + text.replace("'", "''") + "'"


class Cond:
    """A condition on one row; combine with &, | and ~."""

    def q(self) -> Q:
        raise NotImplementedError

    def sql(self, alias: str = "") -> str:
        raise NotImplementedError

    def __and__(self, other: Cond) -> Cond:
        return All((self, other))

    def __or__(self, other: Cond) -> Cond:
        return AnyOf((self, other))

    def __invert__(self) -> Cond:
        return Not(self)


def _col(alias: str, name: str) -> str:
    return f"{alias}.{name}" if alias else name


@dataclass(frozen=True)
class In(Cond):
    field: str
    values: tuple

    def q(self) -> Q:
        if len(self.values) == 1:
            return Q(**{self.field: self.values[0]})
        return Q(**{f"{self.field}__in": list(self.values)})

    def sql(self, alias: str = "") -> str:
        col = _col(alias, self.field)
        if len(self.values) == 1:
            return f"{col} = {sql_literal(self.values[0])}"
        return f"{col} IN ({', '.join(sql_literal(v) for v in self.values)})"


@dataclass(frozen=True)
class IsTrue(Cond):
    """True, not false nor NULL (a nullable boolean)."""

    field: str

    def q(self) -> Q:
        return Q(**{self.field: True})

    def sql(self, alias: str = "") -> str:
        return f"{_col(alias, self.field)} IS TRUE"


@dataclass(frozen=True)
class IsSet(Cond):
    field: str

    def q(self) -> Q:
        return Q(**{f"{self.field}__isnull": False})

    def sql(self, alias: str = "") -> str:
        return f"{_col(alias, self.field)} IS NOT NULL"


@dataclass(frozen=True)
class All(Cond):
    parts: tuple[Cond, ...]

    def q(self) -> Q:
        out = Q()
        for p in self.parts:
            out &= p.q()
        return out

    def sql(self, alias: str = "") -> str:
        return "(" + " AND ".join(p.sql(alias) for p in self.parts) + ")" if self.parts else "TRUE"


@dataclass(frozen=True)
class AnyOf(Cond):
    parts: tuple[Cond, ...]

    def q(self) -> Q:
        out = Q(pk__in=[])
        for p in self.parts:
            out |= p.q()
        return out

    def sql(self, alias: str = "") -> str:
        return "(" + " OR ".join(p.sql(alias) for p in self.parts) + ")"


@dataclass(frozen=True)
class Not(Cond):
    part: Cond

    def q(self) -> Q:
        return ~self.part.q()

    def sql(self, alias: str = "") -> str:
        # Django's ~Q keeps the rows where the condition is NULL (unknown); so does this.
        return f"NOT coalesce({self.part.sql(alias)}, FALSE)"


class Col:
    """`Col("status") == "rejected"`, `Col("kind").in_(...)`, `Col("confirmed_at").is_set()`."""

    def __init__(self, name: str):
        self.name = name

    def __eq__(self, value) -> Cond:  # type: ignore[override]
        return In(self.name, (str(value) if not isinstance(value, bool) else value,))

    def __ne__(self, value) -> Cond:  # type: ignore[override]
        return Not(self == value)

    __hash__ = None  # type: ignore[assignment]

    def in_(self, values) -> Cond:
        return In(self.name, tuple(str(v) for v in values))

    def is_set(self) -> Cond:
        return IsSet(self.name)

    def is_true(self) -> Cond:
        return IsTrue(self.name)


ALWAYS: Cond = All(())


@dataclass(frozen=True)
class Ratio:
    """A rate: `numerator / denominator`, None (no figure) when the denominator is 0."""

    key: str
    label: Any
    numerator: str
    denominator: str
    doc: Any = ""

    def of(self, row: Any) -> float | None:
        """The rate of an object (a snapshot) or a mapping (a row of a coverage table)."""
        get: Callable[[str], Any] = (
            row.get if isinstance(row, Mapping) else lambda k: getattr(row, k)  # type: ignore[assignment]
        )
        num, den = get(self.numerator), get(self.denominator)
        if num is None or not den:
            return None
        return num / den

    def sql(self, columns: Mapping[str, str] | None = None, alias: str = "") -> str:
        """The rate in SQL; `columns` renames the numerator and denominator where a query
        names them otherwise."""
        columns = columns or {}
        num = columns.get(self.numerator) or _col(alias, self.numerator)
        den = columns.get(self.denominator) or _col(alias, self.denominator)
        return f"({num})::float8 / nullif({den}, 0)"


def local_time_label(value: dt.datetime | None) -> str:
    """A computation time as every page and export states it: the station's local time,
    the zone named ("2026-12-01 15:00 (Asia/Shanghai)"). Empty for no time."""
    if value is None:
        return ""
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M} ({settings.TIME_ZONE})"
