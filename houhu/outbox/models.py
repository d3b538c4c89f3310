"""The outbox's rows: follow-up work recorded with the change that needs it, and heartbeats."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """One piece of follow-up work, written in the transaction of the change that needs it.

    Pending (`claimed_at` empty) until a relay claims it; deleted in the transaction that
    carries it out, so a job is done exactly once for effects in this database. A claim
    whose relay died (its row lock is gone) is taken over after `OUTBOX_CLAIM_GRACE_SECONDS`.
    """

    name = models.CharField(_("handler"), max_length=100)
    # Jobs with the same key fold into one while pending (a burst of changes in a grid
    # refreshes its statistics once). Empty: never folded.
    key = models.CharField(_("key"), max_length=200, blank=True, default="")
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    run_after = models.DateTimeField(_("run after"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["run_after", "pk"]
        constraints = [
            # One pending job per key. A claimed (running) job leaves the index, so a
            # change committed while it runs queues the next one instead of being folded
            # into a run that may have read the data before it.
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(claimed_at__isnull=True) & ~Q(key=""),
                name="outbox_job_one_pending_per_key",
            ),
        ]
        indexes = [
            # The relay's question, every few seconds: what is due?
            models.Index(
                fields=["run_after", "id"],
                condition=Q(claimed_at__isnull=True),
                name="outbox_job_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class Heartbeat(models.Model):
    """The last sign of life of a background process (worker, beat, relay), read by the
    health view. One row per process name, overwritten in place."""

    name = models.CharField(_("process"), max_length=200, primary_key=True)
    at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"
