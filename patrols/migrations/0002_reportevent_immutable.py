"""Report events are the ledger: the database itself refuses to change or delete one.

A trigger (not a Python check) so that the admin, a shell or a bulk update cannot rewrite
history either. TRUNCATE (test teardown) is not a row operation and is not affected.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION patrols_reportevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'patrols_reportevent rows are immutable (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER patrols_reportevent_immutable
    BEFORE UPDATE OR DELETE ON patrols_reportevent
    FOR EACH ROW EXECUTE FUNCTION patrols_reportevent_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS patrols_reportevent_immutable ON patrols_reportevent;
DROP FUNCTION IF EXISTS patrols_reportevent_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("patrols", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
