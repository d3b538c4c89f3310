"""Follow-up work that must survive a broker outage: a transactional outbox on PostgreSQL.

A service records what must happen after its change (a thumbnail, a district's statistics,
an e-mail, a Celery task to publish) as a `Job` row in its own transaction, with
`services.defer(...)`. The row commits or rolls back with the change, so the work is never
lost and never done for a change that did not happen. Notifications are not jobs: they
are rows the service writes itself, in the same transaction.

The relay (`relay.run_forever`, `manage.py outbox_relay`, supervised like the Celery
worker) claims due jobs with `FOR UPDATE SKIP LOCKED` and runs each handler in the
transaction that deletes the job: exactly once for effects in this database, at least once
for the outside world (an e-mail; handlers guard against a second run). A trigger NOTIFYs
it at every commit that recorded a job, so work starts within milliseconds, and it needs
no broker: with Redis down, notifications, thumbnails, e-mail and statistics go on; only
`send_task_later` jobs wait, retried every minute at most, for Redis to come back.

Why our own (~250 lines) rather than a library, looked at in December 2026:
- django-celery-outbox (0.4) stores Celery task messages and relays them to the broker:
  the work still stops while Redis is down, and it replaces the Celery app class.
- procrastinate (3.x) is a well-kept PostgreSQL task queue with the same ingredients
  (LISTEN/NOTIFY, queueing locks, Django integration), but a second asynchronous job system
  beside Celery, whose "already enqueued" check aborts the caller's transaction unless it
  wraps every defer in a savepoint; django-reliable-outbox (0.1) is too young to trust.
What we need is small: defer in the caller's transaction, fold jobs by key while pending
(the debounced refresh of a grid), delay, retry with a capped backoff, take over the jobs
of a dead relay, and run handlers that already exist as functions.

Also here: the heartbeats of the worker, beat and relay, and `/health/`, which reads them.
"""
