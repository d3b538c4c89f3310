"""gunicorn settings for `make run` and production (deploy/systemd/houhu-web.service).

gthread workers: each process serves WEB_THREADS requests at once and keeps idle
keep-alive connections in its event loop, so hundreds of clients wait in line instead of
each holding a thread (Django's runserver: a thread, and a database connection, per
connection). Database connections are bounded by WEB_WORKERS x WEB_THREADS: scripts/run.sh
and the unit give Django's psycopg pool DATABASE_POOL_SIZE = WEB_THREADS per process.
"""

import os

# All interfaces by default, as runserver 0.0.0.0 did: other machines of the site reach it.
_host = os.environ.get("HOST", "0.0.0.0")  # noqa: S104
bind = os.environ.get("WEB_BIND", f"{_host}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = 5
# A request slower than this is killed and logged; the slowest page (a county's export)
# takes a few seconds.
timeout = 60
graceful_timeout = 20
# Recycle a worker now and then: a leak in a library cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
