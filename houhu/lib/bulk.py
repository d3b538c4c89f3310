"""After a bulk write, before reading it back: fresh planner statistics.

The demo loaders write thousands of rows in one transaction and then join them (pledge
events from the pledges just inserted, reports' villages from their households). The
planner still believes what the statistics said before: in the test suite, whose rolled
back transactions leave tables "empty" with dead pages, that is one row. It then picks a
nested loop that scans every pledge for every household: 96 s instead of well under one
for the demo's pledge events (and a hang of more than 14 minutes once the ledger triggers
ran inside it). ANALYZE inside the transaction counts the transaction's own new rows.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


def analyze(*models: type[Model]) -> None:
    """ANALYZE the models' tables (the loader's connection, inside its transaction)."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
