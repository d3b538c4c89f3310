"""Small SQL expressions Django lacks, shared by the apps' selectors."""

from __future__ import annotations

from django.db.models import DateField, FloatField, Func, IntegerField, Subquery


class SubqueryCount(Subquery):
    """COUNT(*) of a correlated subquery; Django has no built-in for an aggregate of a
    subquery without a GROUP BY column (the pattern of django-sql-utils, without the dep)."""

    template = "(SELECT count(*) FROM (%(subquery)s) _count)"
    output_field = IntegerField()


class SubquerySum(Subquery):
    """SUM(column) of a correlated subquery, as SubqueryCount."""

    template = "(SELECT sum(%(column)s) FROM (%(subquery)s) _sum)"
    output_field = FloatField()


class AddDays(Func):
    """date + integer days (PostgreSQL date arithmetic): per-row renewal periods."""

    arg_joiner = " + "
    template = "(%(expressions)s)"
    output_field = DateField()
