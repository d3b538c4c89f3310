"""Who is acting, for the one trigger that cannot read it from its row (accounts_user).

The event tables carry their actor in a column; a change to an account's role or scope
is a plain UPDATE of the user row, so the code that makes it names the actor for the
rest of the transaction (`SET LOCAL`-like: gone at commit, safe with pooled connections).
"""

from __future__ import annotations

from django.db import connection


def acting(user_id: int | None) -> None:
    """Name the account acting in this transaction (call inside transaction.atomic)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('houhu.actor', %s, true)", ["" if user_id is None else str(user_id)]
        )
