"""The photo or scan of a signed pledge sheet as a file, at a URL that names the pledge,
not the file (/files/pledge-scan/<id>/). A sheet shows a household's names and
signatures: who may have it is who reads the pledge (`selectors.pledges_for`, i.e. scopes)
and sees that household's personal data (scopes.PERSONAL_DATA: its own villager, grid
staff; not a county leader). Anyone else: 404, as for a pledge without a scan."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from houhu.accounts.scopes import sees, whose_household
from houhu.lib.protected_files import serve

from . import selectors


class PledgeScanFile(APIView):
    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY, 404: None})
    def get(self, request: Request, pk: int) -> HttpResponse:
        pledge = selectors.pledges_for(request.user).filter(pk=pk).exclude(scan="").first()
        if pledge is None or not sees(
            request.user, whose_household(request.user, pledge.household_id)
        ):
            raise Http404
        return serve(request, pledge.scan, download_name=f"pledge-scan-{pk}.jpg")
