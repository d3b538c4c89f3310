"""Account creation and every change of an account's role or scope is chained into the
ledger (houhu.ledger). The actor is the one named by houhu.ledger.actor.acting in the
transaction (empty when a shell or a migration made the change)."""

from django.db import migrations

FIELDS = ("role", "station_id", "county_id", "household_id", "is_superuser", "is_active")


def _object(row: str) -> str:
    pairs = ", ".join(f"'{f.removesuffix('_id')}', {row}.{f}" for f in FIELDS)
    return f"jsonb_build_object('username', {row}.username, {pairs})"


STATION = (
    "coalesce({row}.station_id, (SELECT d.station_id FROM grid_household h"
    " JOIN grid_transformerarea t ON t.id = h.transformer_area_id"
    " JOIN grid_district d ON d.id = t.district_id WHERE h.id = {row}.household_id), 0)"
)

FORWARD = f"""
CREATE FUNCTION ledger_on_accounts_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND ({", ".join(f"OLD.{f}" for f in FIELDS)})
            IS NOT DISTINCT FROM ({", ".join(f"NEW.{f}" for f in FIELDS)}) THEN
        RETURN NULL;  -- a password or last_login change is not a change of role
    END IF;
    PERFORM ledger_append(
        {STATION.format(row="NEW")},
        nullif(current_setting('houhu.actor', true), '')::bigint,
        now(), 'account', NEW.id,
        CASE TG_OP WHEN 'INSERT' THEN 'create' ELSE 'change_role' END,
        CASE TG_OP WHEN 'INSERT' THEN {_object("NEW")}
             ELSE {_object("NEW")} || jsonb_build_object('before', {_object("OLD")}) END);
    RETURN NULL;
END;
$$;
CREATE TRIGGER ledger_append
    AFTER INSERT OR UPDATE OF {", ".join(FIELDS)} ON accounts_user
    FOR EACH ROW EXECUTE FUNCTION ledger_on_accounts_user();
DO $$
DECLARE r accounts_user;
BEGIN
    FOR r IN SELECT * FROM accounts_user ORDER BY date_joined, id LOOP
        PERFORM ledger_append({STATION.format(row="r")}, NULL, r.date_joined, 'account',
                              r.id, 'create', {_object("r")});
    END LOOP;
END;
$$;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ledger_append ON accounts_user;
DROP FUNCTION IF EXISTS ledger_on_accounts_user();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("grid", "0001_initial"),
        ("ledger", "0001_chain"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
