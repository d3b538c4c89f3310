"""Thin, read-only DRF views of the statistics: the same figures as the dashboard.

Every queryset comes from `stats.selectors.snapshots_for(user)`; writes are refused
(these are GET-only views; snapshots are written by Celery alone).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from houhu.lib.db_router import ReplicaReadsMixin

from . import selectors
from .models import Level, PeriodKind
from .serializers import RankingRowSerializer, SnapshotSerializer


class CanReadStats(permissions.BasePermission):
    message = _("Statistics are for station staff and county leaders.")

    def has_permission(self, request, view) -> bool:
        return selectors.can_read_stats(request.user)


def _month(raw: str | None, user) -> dt.date:
    if not raw:
        return selectors.last_complete_month()
    try:
        return dt.datetime.strptime(raw[:7], "%Y-%m").date()  # noqa: DTZ007 - calendar month
    except ValueError as exc:
        raise ValidationError({"month": _("Use YYYY-MM.")}) from exc


def _level(raw: str | None, default: str) -> str:
    value = raw or default
    if value not in Level.values:
        raise ValidationError({"level": _("Unknown level.")})
    return value


@extend_schema(
    parameters=[
        OpenApiParameter("level", str, enum=Level.values),
        OpenApiParameter("period", str, enum=PeriodKind.values),
        OpenApiParameter("period_start", OpenApiTypes.DATE),
        OpenApiParameter("scope_id", int),
        OpenApiParameter("station", int),
        OpenApiParameter("district", int),
    ]
)
class SnapshotViewSet(ReplicaReadsMixin, viewsets.ReadOnlyModelViewSet):
    """Snapshots of the areas the user may read (one row per area and period)."""

    serializer_class = SnapshotSerializer
    permission_classes = [permissions.IsAuthenticated, CanReadStats]
    filterset_fields = ["level", "period", "period_start", "scope_id", "station", "district"]

    def get_queryset(self):
        return selectors.snapshots_for(self.request.user).order_by(
            "level", "scope_id", "period", "period_start"
        )


class RankingView(ReplicaReadsMixin, APIView):
    permission_classes = [permissions.IsAuthenticated, CanReadStats]

    @extend_schema(
        parameters=[
            OpenApiParameter("level", str, enum=["county", "station"]),
            OpenApiParameter("id", int, required=True),
            OpenApiParameter("month", str, description="YYYY-MM"),
        ],
        responses=RankingRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Service grids by compliance score; rank is null for "not enough data"."""
        level = _level(request.query_params.get("level"), Level.COUNTY)
        try:
            scope_id = int(request.query_params.get("id", ""))
        except ValueError as exc:
            raise ValidationError({"id": _("An area id is required.")}) from exc
        month = _month(request.query_params.get("month"), request.user)
        try:
            selectors.scope_snapshot(request.user, level=level, scope_id=scope_id, start=month)
        except selectors.StatsDenied as exc:
            raise NotFound(str(exc)) from exc
        rows = selectors.ranking(request.user, level=level, scope_id=scope_id, start=month)
        return Response(RankingRowSerializer(rows, many=True).data)


class ChoroplethView(ReplicaReadsMixin, APIView):
    permission_classes = [permissions.IsAuthenticated, CanReadStats]

    @extend_schema(
        parameters=[
            OpenApiParameter("level", str, enum=["district", "transformer_area"]),
            OpenApiParameter("measure", str, enum=list(selectors.MEASURES)),
            OpenApiParameter("month", str, description="YYYY-MM"),
            OpenApiParameter("parent_level", str, enum=["county", "station", "district"]),
            OpenApiParameter("parent_id", int),
        ],
        responses={(200, "application/geo+json"): OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> HttpResponse:
        """Districts (or transformer areas) with one measure: a GeoJSON FeatureCollection
        built in PostGIS, for the dashboard's choropleth."""
        level = _level(request.query_params.get("level"), Level.DISTRICT)
        if level not in (Level.DISTRICT, Level.TRANSFORMER_AREA):
            raise ValidationError({"level": _("Only service grids and transformer areas.")})
        measure = request.query_params.get("measure", "score")
        if measure not in selectors.MEASURES:
            raise ValidationError({"measure": _("Unknown measure.")})
        parent = None
        if request.query_params.get("parent_level"):
            try:
                parent = (
                    _level(request.query_params["parent_level"], Level.COUNTY),
                    int(request.query_params.get("parent_id", "")),
                )
            except ValueError as exc:
                raise ValidationError({"parent_id": _("An area id is required.")}) from exc
        body = selectors.choropleth(
            request.user,
            level=level,
            start=_month(request.query_params.get("month"), request.user),
            measure=measure,
            parent=parent,
        )
        return HttpResponse(body, content_type="application/geo+json")


class FormulaView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanReadStats]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        """The compliance score's normalised weights and the minimum reports for ranking."""
        return Response(
            {
                **selectors.score_formula(),
                "measures": {k: str(m.label) for k, m in selectors.MEASURES.items()},
            }
        )
