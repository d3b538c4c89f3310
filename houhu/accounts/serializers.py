"""Shapes of the accounts API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import User
from .scopes import districts_for


class MeSerializer(serializers.ModelSerializer):
    """The signed-in user, with the grids they may see (`scopes.districts_for`)."""

    role_label = serializers.CharField(source="get_role_display", read_only=True)
    districts = serializers.SerializerMethodField()
    read_only = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id", "username", "display_name", "role", "role_label", "station", "county",
            "household", "districts", "read_only",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_districts(self, user: User) -> list[int]:
        return list(districts_for(user).order_by("pk").values_list("pk", flat=True))

    def get_read_only(self, user: User) -> bool:
        return user.is_leader


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=True)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
