from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from houhu.grid.tiles import tile_view
from houhu.outbox.views import health, live

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", health, name="health"),
    path("health/live/", live, name="health-live"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline one.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("api/", include("houhu.api_urls")),
    # Vector tiles of every app's growing layers (registered in houhu.grid.tiles).
    path("tiles/<slug:layer>/<int:z>/<int:x>/<int:y>.pbf", tile_view, name="tile"),
    path("pledges/", include("pledges.urls")),
    path("patrols/", include("patrols.urls")),
    path("stats/", include("stats.urls")),
    path("map/", include("houhu.grid.urls")),
    path("", include("houhu.accounts.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
