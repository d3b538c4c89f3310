from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from houhu.grid.tiles import tile_view
from houhu.outbox.views import health, live
from patrols.files import ReportPhotoFile, ReportPhotoThumbnail
from pledges.compact.files import PledgeScanFile

# The admin's own name, not Django's ("Django 管理" in the Chinese admin).
admin.site.site_header = _("Houhu patrol ledger: administration")
admin.site.site_title = _("Houhu patrol ledger: administration")
admin.site.index_title = _("Ledger data")

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
    # Uploads, each behind a permission check; the URL names the record, never the file.
    path("files/report-photo/<int:pk>/", ReportPhotoFile.as_view(), name="file-report-photo"),
    path(
        "files/report-photo/<int:pk>/thumb/",
        ReportPhotoThumbnail.as_view(),
        name="file-report-photo-thumb",
    ),
    path("files/pledge-scan/<int:pk>/", PledgeScanFile.as_view(), name="file-pledge-scan"),
    path("pledges/", include("pledges.urls")),
    path("patrols/", include("patrols.urls")),
    path("stats/", include("stats.urls")),
    path("map/", include("houhu.grid.urls")),
    path("", include("houhu.accounts.urls")),
]
