"""Abstract base models shared by the apps."""

from __future__ import annotations

from django.db import models


class ImmutableRowError(Exception):
    """Raised when code tries to change or delete an event row."""


class ImmutableModel(models.Model):
    """Append-only rows: the ledger's history must not be rewritten after the fact."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRowError(f"{type(self).__name__} rows are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError(f"{type(self).__name__} rows are never deleted")
