"""One router per app, mounted under /api/. Each app owns its `api_urls.py`."""

from django.urls import include, path

urlpatterns = [
    path("", include("houhu.grid.api_urls")),
    path("", include("houhu.accounts.api_urls")),
    path("pledges/", include("pledges.api_urls")),
    path("patrols/", include("patrols.api_urls")),
    path("stats/", include("stats.api_urls")),
]
