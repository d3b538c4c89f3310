"""The one pagination of the API's lists (REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]).

`?limit=` is capped at HOUHU_API_MAX_LIMIT (read per request, not at import) and `?offset=`
at the number of rows: DRF's LimitOffsetPagination has no cap by default, and a limit or
offset beyond PostgreSQL's bigint (`?limit=10**30`) was a 500 on every list. A limit that is
not a positive number (text, negative, zero) gives the default page, as in DRF.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination


class CappedLimitOffsetPagination(LimitOffsetPagination):
    @property
    def max_limit(self) -> int:
        return settings.HOUHU_API_MAX_LIMIT

    def get_offset(self, request) -> int:
        # `count` is known by now (DRF counts before it reads the offset).
        return min(super().get_offset(request), self.count)
