"""A report's photos as files, at URLs that name the photo, not the file
(/files/report-photo/<id>/, …/thumb/). Who may: those who read the report
(`selectors.reports_for`, i.e. scopes) and see report photos (scopes.PERSONAL_DATA: not a
county leader); anyone else gets 404, the same as for a photo that does not exist."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from houhu.accounts.scopes import Whose, sees
from houhu.lib.protected_files import serve

from . import selectors
from .models import ReportPhoto


class ReportPhotoFile(APIView):
    thumbnail = False

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY, 404: None})
    def get(self, request: Request, pk: int) -> HttpResponse:
        photo = None
        if sees(request.user, Whose.PHOTOS):
            photo = (
                ReportPhoto.objects.filter(pk=pk, report__in=selectors.reports_for(request.user))
                .only("image", "thumbnail")
                .first()
            )
        if photo is None:
            raise Http404
        # Until the outbox has made the thumbnail, the full (already small) copy stands in.
        field = photo.thumbnail if self.thumbnail and photo.thumbnail else photo.image
        suffix = "-thumb" if field is photo.thumbnail else ""
        return serve(request, field, download_name=f"report-photo-{pk}{suffix}.jpg")


class ReportPhotoThumbnail(ReportPhotoFile):
    thumbnail = True
