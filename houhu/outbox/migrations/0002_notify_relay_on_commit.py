"""Wake the relay at the commit of every transaction that recorded a job.

A statement-level trigger, so the services need no extra statement: PostgreSQL delivers a
NOTIFY only when (and if) the transaction commits, and folds duplicates of one transaction.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION outbox_job_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('houhu_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_job_notify AFTER INSERT ON outbox_job
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_job_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS outbox_job_notify ON outbox_job;
DROP FUNCTION IF EXISTS outbox_job_notify();
"""


class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_jobs_and_heartbeats")]

    operations = [migrations.RunSQL(CREATE, DROP)]
