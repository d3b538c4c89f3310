"""The chain's source functions look their station up by primary keys; a seq scan there is
never right. A bulk insert writes the rows it then looks up in the same transaction, so
the statistics still say "empty" and the planner chose seq scans on households and
pledges for every event (the demo's 13,700 pledge events ran for more than 15 minutes in
the test suite)."""

from django.db import migrations

SOURCES = [
    "ledger_from_patrols_reportevent(patrols_reportevent)",
    "ledger_from_patrols_reportsighting(patrols_reportsighting)",
    "ledger_from_pledges_pledgeevent(pledges_pledgeevent)",
    "ledger_from_pledges_assignmentevent(pledges_assignmentevent)",
    "ledger_from_pledges_compactversionevent(pledges_compactversionevent)",
    "ledger_from_pledges_householdvisit(pledges_householdvisit)",
    "ledger_on_accounts_user()",
]
FORWARD = "".join(f"ALTER FUNCTION {f} SET enable_seqscan = off;\n" for f in SOURCES)
BACKWARD = "".join(f"ALTER FUNCTION {f} RESET enable_seqscan;\n" for f in SOURCES)


class Migration(migrations.Migration):
    dependencies = [
        ("patrols", "0011_ledger_sightings"),
        ("pledges", "0003_ledger_chain"),
        ("accounts", "0003_ledger_chain"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
