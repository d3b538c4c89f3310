"""The chain entries. Written only by the database (houhu.ledger.sql), never by Python."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Entry(models.Model):
    """One change of state, chained to the previous entry of its station.

    Ids, not foreign keys: an entry is evidence that must outlive (and not depend on) the
    rows it describes, and a restore or a verification reads this table alone.
    """

    # 0: changes that belong to no station (accounts of county leaders, administrators).
    station_id = models.BigIntegerField(_("station"))
    seq = models.BigIntegerField(_("sequence number"))
    actor_id = models.BigIntegerField(_("by (account id)"), null=True, blank=True)
    at = models.DateTimeField(_("at"))
    object_kind = models.CharField(_("object type"), max_length=30)
    object_id = models.BigIntegerField(_("object id"))
    action = models.CharField(_("action"), max_length=30)
    data = models.JSONField(_("data"), default=dict)
    # SHA-256 of ledger_canonical(actor, at, object, action, data), as raw bytes.
    content_hash = models.BinaryField(_("content hash"))
    prev_hash = models.BinaryField(_("previous entry's hash"))
    entry_hash = models.BinaryField(_("entry hash"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["station_id", "seq"]
        constraints = [
            # A fork (two entries with one number) is refused even if the lock were skipped.
            models.UniqueConstraint(fields=["station_id", "seq"], name="ledger_entry_seq_unique"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="ledger_entry_seq_positive"),
        ]
        indexes = [
            # The history of one object (a report's entries) on its pages and in tests.
            models.Index(fields=["object_kind", "object_id"], name="ledger_entry_object"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id}#{self.seq} {self.object_kind}:{self.object_id} {self.action}"

    @property
    def hash_hex(self) -> str:
        return bytes(self.entry_hash).hex()
