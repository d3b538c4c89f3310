"""A person's name masked for a map that must say who answers without saying who it is
(张三丰 → 张**): the surname and two stars, whatever the name's length, so the mask does
not tell a two-character name from a three-character one either. One definition, in
Python (serializers) and in SQL (layers built in PostGIS)."""

from __future__ import annotations

from django.db.models import Func, TextField
from django.db.models.functions import Left

STARS = "**"


def mask_name(name: str | None) -> str:
    name = (name or "").strip()
    return f"{name[:1]}{STARS}" if name else ""


def masked_name_sql(expression) -> Func:
    """The SQL form of `mask_name`; NULL or '' (nobody) gives NULL."""
    return Func(
        Left(expression, 1),
        template=f"(NULLIF(%(expressions)s, '') || '{STARS}')",
        output_field=TextField(),
    )
