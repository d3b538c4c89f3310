"""/api/pledges/ routes (mounted by houhu/api_urls.py). Namespace `pledges-api`: the pages
own the `pledges` namespace."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .compact import api as compact
from .responsibility import api as responsibility

app_name = "pledges-api"

router = SimpleRouter()
router.register("compacts", compact.CompactViewSet, basename="compact")
router.register("versions", compact.CompactVersionViewSet, basename="version")
router.register("clauses", compact.ClauseViewSet, basename="clause")
router.register("pledges", compact.PledgeViewSet, basename="pledge")
router.register("assignments", responsibility.AssignmentViewSet, basename="assignment")
router.register("visits", compact.HouseholdVisitViewSet, basename="visit")

urlpatterns = [
    path("import/", compact.PledgeImport.as_view(), name="import"),
    path(
        "front-doors/derive/", responsibility.FrontDoorDerive.as_view(), name="derive-front-doors"
    ),
    path("tasks/<str:task_id>/", responsibility.TaskStatus.as_view(), name="task-status"),
    path("coverage/", responsibility.Coverage.as_view(), name="coverage"),
    path("unsigned-households/", compact.UnsignedHouseholds.as_view(), name="unsigned-households"),
    path(
        "unassigned-segments/",
        responsibility.UnassignedSegments.as_view(),
        name="unassigned-segments",
    ),
    path("layers/assignments/", responsibility.AssignmentLayer.as_view(), name="layer-assignments"),
    path(
        "layers/segment-coverage/",
        responsibility.SegmentCoverageLayer.as_view(),
        name="layer-segment-coverage",
    ),
    path("mine/", responsibility.MyResponsibilities.as_view(), name="mine"),
    *router.urls,
]
