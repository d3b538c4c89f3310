"""/api/ routes of the core geography: map layers (GeoJSON) and read-only lists."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("districts", api.DistrictViewSet, basename="grid-district")
router.register("transformer-areas", api.TransformerAreaViewSet, basename="grid-transformerarea")
router.register("villages", api.VillageViewSet, basename="grid-village")
router.register("households", api.HouseholdViewSet, basename="grid-household")
router.register("lines", api.LineViewSet, basename="grid-line")
router.register("segments", api.SegmentViewSet, basename="grid-segment")

urlpatterns = [
    path("layers/districts/", api.DistrictLayer.as_view(), name="layer-districts"),
    path(
        "layers/transformer-areas/",
        api.TransformerAreaLayer.as_view(),
        name="layer-transformer-areas",
    ),
    path("layers/lines/", api.LineLayer.as_view(), name="layer-lines"),
    path("layers/segments/", api.SegmentLayer.as_view(), name="layer-segments"),
    path("layers/households/", api.HouseholdLayer.as_view(), name="layer-households"),
    path("layers/around-me/", api.AroundMe.as_view(), name="layer-around-me"),
    *router.urls,
]
