"""The appender keeps the head it appended last for the rest of its transaction, and its one
lookup may only walk the (station, seq) index: see houhu.ledger.sql.APPEND_V2."""

from django.db import migrations

from houhu.ledger.sql import APPEND_V2, FUNCTIONS

# Back: the first version, as 0001 created it.
FIRST = FUNCTIONS[FUNCTIONS.index("CREATE FUNCTION ledger_append(") : FUNCTIONS.index("-- Entries are")]


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_chain")]

    operations = [
        migrations.RunSQL(
            APPEND_V2,
            "ALTER FUNCTION ledger_append(bigint, bigint, timestamptz, text, bigint, text, jsonb)"
            " RESET ALL;" + FIRST.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
        )
    ]
