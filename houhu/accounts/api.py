"""Accounts API: who am I. Accounts are managed in the admin and by grid managers' pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.generics import RetrieveAPIView

from .serializers import MeSerializer


@extend_schema(tags=["accounts"], summary="The signed-in user")
class MeView(RetrieveAPIView):
    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user
