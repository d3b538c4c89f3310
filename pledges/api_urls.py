"""/api/pledges/ routes (mounted by houhu/api_urls.py). Namespace `pledges-api`: the pages
own the `pledges` namespace."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

app_name = "pledges-api"

router = SimpleRouter()
router.register("compacts", api.CompactViewSet, basename="compact")
router.register("versions", api.CompactVersionViewSet, basename="version")
router.register("clauses", api.ClauseViewSet, basename="clause")
router.register("pledges", api.PledgeViewSet, basename="pledge")
router.register("assignments", api.AssignmentViewSet, basename="assignment")
router.register("visits", api.HouseholdVisitViewSet, basename="visit")

urlpatterns = [
    path("import/", api.PledgeImport.as_view(), name="import"),
    path("front-doors/derive/", api.FrontDoorDerive.as_view(), name="derive-front-doors"),
    path("tasks/<str:task_id>/", api.TaskStatus.as_view(), name="task-status"),
    path("coverage/", api.Coverage.as_view(), name="coverage"),
    path("unsigned-households/", api.UnsignedHouseholds.as_view(), name="unsigned-households"),
    path("unassigned-segments/", api.UnassignedSegments.as_view(), name="unassigned-segments"),
    path("layers/assignments/", api.AssignmentLayer.as_view(), name="layer-assignments"),
    path(
        "layers/segment-coverage/",
        api.SegmentCoverageLayer.as_view(),
        name="layer-segment-coverage",
    ),
    path("mine/", api.MyResponsibilities.as_view(), name="mine"),
    *router.urls,
]
