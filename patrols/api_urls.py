"""/api/patrols/ routes (mounted by houhu/api_urls.py; names carry a prefix because the
pages already own the `patrols` namespace)."""

from django.urls import path

from . import api

urlpatterns = [
    path("reports/", api.ReportListCreate.as_view(), name="patrols-api-reports"),
    path("reports/<int:pk>/", api.ReportDetail.as_view(), name="patrols-api-report"),
    path("nearby/", api.NearbyReports.as_view(), name="patrols-api-nearby"),
    path("sightings/", api.Sightings.as_view(), name="patrols-api-sightings"),
    path("reports/<int:pk>/actions/", api.ReportAction.as_view(), name="patrols-api-report-action"),
    path("layers/reports/", api.ReportLayer.as_view(), name="patrols-api-layer-reports"),
    path("notifications/", api.NotificationList.as_view(), name="patrols-api-notifications"),
    path(
        "notifications/<int:pk>/read/",
        api.NotificationRead.as_view(),
        name="patrols-api-notification-read",
    ),
    path("counts/", api.Counts.as_view(), name="patrols-api-counts"),
    path("queue/", api.WorkQueue.as_view(), name="patrols-api-queue"),
]
