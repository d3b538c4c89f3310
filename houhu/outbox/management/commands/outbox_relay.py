"""`manage.py outbox_relay`: the process that carries out recorded jobs (supervised)."""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand

from houhu.outbox import relay


class Command(BaseCommand):
    help = "Carry out the background jobs recorded in PostgreSQL (runs until stopped)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run what is due now, then exit.")

    def handle(self, *args, once: bool = False, **options):
        if once:
            self.stdout.write(f"{relay.run_due()} job(s) done")
            return
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        # SIGTERM (supervisord, systemd): finish the running job, then exit.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("outbox relay: running")
        relay.run_forever(should_stop=lambda: bool(stopping))
