"""Signals between apps, so that a lower app never imports a higher one.

`ledger_changed`: a service changed the ledger (a report, a pledge, an assignment, a
visit) in some service grids. It is sent by the service *inside* its transaction, with the
ids of the districts whose figures may have moved:

    ledger_changed.send(sender=Report, district_ids=[report.district_id])

The statistics app subscribes (stats/receivers.py, connected in StatsConfig.ready) the way
`django.contrib.auth` updates `last_login` through `user_logged_in`: the patrols and
pledges apps do not know it exists. A receiver runs inside the sender's transaction, so
whatever it does outside the database must wait for the commit, and a rollback must leave
no trace: record it as an outbox job (houhu.outbox.services.defer), which commits with the
change and is carried out after it, broker or not.
"""

from __future__ import annotations

from django.dispatch import Signal

ledger_changed = Signal()  # kwargs: district_ids (an iterable of District ids)
