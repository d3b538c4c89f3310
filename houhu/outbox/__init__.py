"""Follow-up work that must survive a broker outage: a transactional outbox on PostgreSQL.

A service records what must happen after its change (a thumbnail, a district's statistics,
an e-mail) as a `Job` row in its own transaction, with `jobs.defer(...)`. The row commits
or rolls back with the change, so the work is never lost and never done for a change that
did not happen. The Celery worker carries the jobs out (`relay.run_due`), kicked after the
commit and, whatever happened to the kick, by beat every `OUTBOX_RELAY_SECONDS`.

Also here: the heartbeats of the worker and beat, and the health view that reads them.
"""
