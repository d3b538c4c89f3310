"""Shapes of the stats API (no logic: the figures are computed by stats.compute)."""

from __future__ import annotations

from rest_framework import serializers

from .models import Snapshot


class SnapshotSerializer(serializers.ModelSerializer):
    pledge_rate = serializers.FloatField(read_only=True, allow_null=True)
    responsibility_rate = serializers.FloatField(read_only=True, allow_null=True)
    patrol_coverage = serializers.FloatField(read_only=True, allow_null=True)
    run_duration_ms = serializers.IntegerField(source="run.duration_ms", read_only=True)
    computed_from = serializers.JSONField(source="run.source", read_only=True)

    class Meta:
        model = Snapshot
        exclude = ["run"]


class RankingRowSerializer(SnapshotSerializer):
    rank = serializers.IntegerField(read_only=True, allow_null=True)
