"""Reading and tampering with the chain in SQL, as someone with database access would."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection

from houhu.ledger.models import Entry


def entries(station_id: int) -> list[Entry]:
    return list(Entry.objects.filter(station_id=station_id).order_by("seq"))


def behind_the_apps_back(sql: str, params=()) -> None:
    """Run `sql` with the refusing trigger disabled, as the table's owner could. Inside the
    test's transaction, so the ALTERs are rolled back with it."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_immutable")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_immutable")


def verify(*args: str) -> str:
    """verify_ledger's output; CommandError (exit status 1) propagates."""
    from io import StringIO

    out = StringIO()
    call_command("verify_ledger", *args, stdout=out)
    return out.getvalue()
