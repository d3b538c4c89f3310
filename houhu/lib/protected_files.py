"""Answering with a stored upload (a report photo, a pledge scan) once a view has decided
that the reader may have it. Uploads are never public files: there is no /media/ URL,
and the URL a client sees names the record (/files/report-photo/<id>/), not the file.

- With `HOUHU_X_ACCEL_REDIRECT` set (e.g. "/protected/"), the answer is empty with an
  `X-Accel-Redirect` header naming the file under that prefix: nginx, whose location for
  the prefix is `internal`, sends the bytes (docs/operations.md). Django's headers
  (type, Cache-Control, ETag) stay on the answer.
- Without it (`make run`: gunicorn alone), Django streams the file (FileResponse).

Cache-Control is `private` (no shared cache keeps it) and `no-cache`: the browser asks
again each time, with the ETag, so a reader who lost access is refused at once while one
who still has it gets a 304 instead of the bytes again (a villager's phone on 2G).
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils.html import format_html

CACHE_CONTROL = "private, no-cache"


def serve(request: HttpRequest, file: FieldFile, *, download_name: str) -> HttpResponse:
    # A stored file is never rewritten (a new upload gets a new name): its name is its version.
    etag = f'"{hashlib.sha256(file.name.encode()).hexdigest()[:32]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    elif prefix := settings.HOUHU_X_ACCEL_REDIRECT:
        response = HttpResponse(content_type="image/jpeg")
        response["X-Accel-Redirect"] = f"{prefix.rstrip('/')}/{quote(file.name)}"
    else:
        # The download name, not the stored one: the client learns no path.
        response = FileResponse(file.open("rb"), content_type="image/jpeg", filename=download_name)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response


def file_link(url_name: str, pk: int) -> str:
    """A link to a file's view (for the admin, whose own file widget links the file)."""
    url = reverse(url_name, args=[pk])
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)
