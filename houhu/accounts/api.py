"""Accounts API: who am I. Accounts are managed in the admin and by grid managers' pages."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.generics import RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from houhu.lib.errors import InvalidInput

from .serializers import CredentialsSerializer, MeSerializer, TokenSerializer


@extend_schema(tags=["accounts"], summary="The signed-in user")
class MeView(RetrieveAPIView):
    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


@extend_schema(
    tags=["accounts"],
    summary="Exchange a username (or villager phone) and password for an API token",
    description="Send the token as `Authorization: Token <key>`. Failed attempts count "
    "towards the same log-in lock-out as the log-in page (429 with Retry-After).",
    request=CredentialsSerializer,
    responses={
        200: TokenSerializer,
        400: OpenApiResponse(description="A missing field, or a wrong username or password"),
        429: OpenApiResponse(description="Locked out: {detail} says until when"),
    },
)
class TokenObtainView(APIView):
    # No session and so no CSRF: a script has neither. Not throttled by the write throttle:
    # django-axes limits the guessing per account and address.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def post(self, request):
        incoming = CredentialsSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        # The Django request, not DRF's wrapper: django-axes marks a lock-out on it and its
        # middleware turns that into the 429 answer.
        user = authenticate(request._request, **incoming.validated_data)
        if user is None:
            # The one error shape (houhu.lib.errors): detail, code, non_field_errors.
            raise InvalidInput(_("Wrong username or password."))
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
