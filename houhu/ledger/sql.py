"""The chain in SQL: the one definition of an entry's canonical content and hashes, the
appender every trigger calls, and a generator of the triggers the apps' migrations install.

    content_hash = sha256(utf8(ledger_canonical(actor, at, object, action, data)))
    entry_hash   = sha256(int8(station) || int8(seq) || prev_hash || content_hash)
    prev_hash    = the previous entry's entry_hash; 32 zero bytes for seq 1

The canonical content is a JSON array, [actor, at, "kind:id", action, data], with `data`
printed as jsonb text: PostgreSQL prints a jsonb value the same way every time (keys
sorted, fixed spacing), and `at` is spelt in UTC so the session's time zone does not change
it. Concatenated rather than built with jsonb_build_array: rebuilding `data` into a new
jsonb value doubled the verifier's time (bench/bench_ledger.py). The appender and the
verifier (houhu.ledger.verify) both call these functions, so they cannot drift apart.
"""

# ruff: noqa: S608 - DDL built from this module's constants and the migrations' own
# expressions, never from input

from __future__ import annotations

# pg_advisory_xact_lock(LOCK_CLASS, station): the first key keeps the chain's locks apart
# from any other advisory lock the project might take.
LOCK_CLASS = 7411

GENESIS = "'\\x" + "00" * 32 + "'::bytea"

FUNCTIONS = f"""
CREATE FUNCTION ledger_canonical(
    actor bigint, at timestamptz, object_kind text, object_id bigint, action text, data jsonb
) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT '[' || coalesce(actor::text, 'null')
        || ',' || to_json(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || ',' || to_json(object_kind || ':' || object_id)
        || ',' || to_json(action)
        || ',' || data::text || ']'
$$;

CREATE FUNCTION ledger_content_hash(
    actor bigint, at timestamptz, object_kind text, object_id bigint, action text, data jsonb
) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT sha256(convert_to(
        ledger_canonical(actor, at, object_kind, object_id, action, data), 'UTF8'))
$$;

CREATE FUNCTION ledger_entry_hash(station bigint, seq bigint, prev bytea, content bytea)
RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(int8send(station) || int8send(seq) || prev || content)
$$;

CREATE FUNCTION ledger_append(
    p_station bigint, p_actor bigint, p_at timestamptz, p_kind text, p_object bigint,
    p_action text, p_data jsonb
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash bytea;
    content bytea;
BEGIN
    -- One appender per station until its transaction ends: the next one waits here, and
    -- its SELECT below (a new snapshot in READ COMMITTED) sees this entry.
    PERFORM pg_advisory_xact_lock({LOCK_CLASS}, p_station::integer);
    SELECT seq, entry_hash INTO last_seq, last_hash
      FROM ledger_entry WHERE station_id = p_station ORDER BY seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0) + 1;
    last_hash := coalesce(last_hash, {GENESIS});
    content := ledger_content_hash(p_actor, p_at, p_kind, p_object, p_action, p_data);
    INSERT INTO ledger_entry (station_id, seq, actor_id, at, object_kind, object_id, action,
                              data, content_hash, prev_hash, entry_hash)
    VALUES (p_station, last_seq, p_actor, p_at, p_kind, p_object, p_action, p_data,
            content, last_hash, ledger_entry_hash(p_station, last_seq, last_hash, content));
END;
$$;

-- Entries are never changed or deleted through any client (TRUNCATE, a test teardown, is
-- not a row operation). An owner can still disable this: the hashes show it then.
CREATE FUNCTION ledger_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entry rows are immutable (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_refuse_change();
"""

# The appender, second version (ledger migration 0002). Two changes, both measured on a
# bulk insert (6,000 events of one station in one transaction, the demo's pledge events):
# - the head a transaction appended last is kept in a transaction-local setting: while it
#   holds the station's lock nobody else can append, so the next append needs no lookup
#   (a savepoint rolled back reverts the setting with the row);
# - the one lookup per transaction may not use a bitmap scan, a sequential scan or a sort:
#   with statistics that say "one row per station", the cached generic plan read every
#   entry of the station on every append (7.5 s instead of 0.5 s for those 6,000).
APPEND_V2 = f"""
CREATE OR REPLACE FUNCTION ledger_append(
    p_station bigint, p_actor bigint, p_at timestamptz, p_kind text, p_object bigint,
    p_action text, p_data jsonb
) RETURNS void LANGUAGE plpgsql
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off
AS $$
DECLARE
    last_seq bigint;
    last_hash bytea;
    content bytea;
    cached text;
BEGIN
    -- One appender per station until its transaction ends: the next one waits here, and
    -- its SELECT below (a new snapshot in READ COMMITTED) sees this entry.
    PERFORM pg_advisory_xact_lock({LOCK_CLASS}, p_station::integer);
    cached := current_setting('houhu_ledger.head_' || p_station, true);
    IF coalesce(cached, '') <> '' THEN
        last_seq := split_part(cached, ':', 1)::bigint;
        last_hash := decode(split_part(cached, ':', 2), 'hex');
    ELSE
        SELECT seq, entry_hash INTO last_seq, last_hash
          FROM ledger_entry WHERE station_id = p_station ORDER BY seq DESC LIMIT 1;
    END IF;
    last_seq := coalesce(last_seq, 0) + 1;
    last_hash := coalesce(last_hash, {GENESIS});
    content := ledger_content_hash(p_actor, p_at, p_kind, p_object, p_action, p_data);
    INSERT INTO ledger_entry (station_id, seq, actor_id, at, object_kind, object_id, action,
                              data, content_hash, prev_hash, entry_hash)
    VALUES (p_station, last_seq, p_actor, p_at, p_kind, p_object, p_action, p_data,
            content, last_hash, ledger_entry_hash(p_station, last_seq, last_hash, content))
    RETURNING entry_hash INTO last_hash;
    PERFORM set_config('houhu_ledger.head_' || p_station,
                       last_seq || ':' || encode(last_hash, 'hex'), true);
END;
$$;
"""

DROP_FUNCTIONS = """
DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_entry_refuse_change();
DROP FUNCTION IF EXISTS ledger_append(bigint, bigint, timestamptz, text, bigint, text, jsonb);
DROP FUNCTION IF EXISTS ledger_entry_hash(bigint, bigint, bytea, bytea);
DROP FUNCTION IF EXISTS ledger_content_hash(bigint, timestamptz, text, bigint, text, jsonb);
DROP FUNCTION IF EXISTS ledger_canonical(bigint, timestamptz, text, bigint, text, jsonb);
"""


def source(
    *,
    table: str,
    kind: str,
    object_id: str,
    station: str,
    actor: str,
    at: str,
    action: str,
    data: str = "to_jsonb(r)",
    order: str = "r.id",
) -> tuple[str, str]:
    """(forward, backward) SQL that chains every row inserted into `table`.

    The expressions read the new row as `r`. `ledger_from_<table>(r)` appends one entry;
    the AFTER INSERT trigger calls it, and the forward SQL also calls it once for each row
    already there (in `order`), so a database migrated with history gets it chained.
    """
    forward = f"""
CREATE FUNCTION ledger_from_{table}(r {table}) RETURNS void LANGUAGE sql AS $$
    SELECT ledger_append(({station}), ({actor}), ({at}), '{kind}', ({object_id}),
                         ({action})::text, ({data}))
$$;
CREATE FUNCTION ledger_on_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_from_{table}(NEW);
    RETURN NULL;
END;
$$;
CREATE TRIGGER ledger_append AFTER INSERT ON {table}
    FOR EACH ROW EXECUTE FUNCTION ledger_on_{table}();
DO $$
DECLARE existing {table};
BEGIN
    FOR existing IN SELECT * FROM {table} r ORDER BY {order} LOOP
        PERFORM ledger_from_{table}(existing);
    END LOOP;
END;
$$;
"""
    backward = f"""
DROP TRIGGER IF EXISTS ledger_append ON {table};
DROP FUNCTION IF EXISTS ledger_on_{table}();
DROP FUNCTION IF EXISTS ledger_from_{table}({table});
"""
    return forward, backward
