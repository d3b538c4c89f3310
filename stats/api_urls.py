"""/api/stats/: read-only figures of the dashboard."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("snapshots", api.SnapshotViewSet, basename="stats-snapshot")

urlpatterns = [
    path("ranking/", api.RankingView.as_view(), name="stats-ranking"),
    path("choropleth/", api.ChoroplethView.as_view(), name="stats-choropleth"),
    path("formula/", api.FormulaView.as_view(), name="stats-formula"),
    *router.urls,
]
