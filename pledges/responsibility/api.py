"""/api/pledges/ for responsibility: assignments (patch, segment, front door), the
front-door derivation and its progress, coverage, unassigned segments and the map layers
(built in PostGIS). Thin DRF views; errors through the one exception handler."""

from __future__ import annotations

from celery.result import AsyncResult
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from houhu.accounts.scopes import Can, can
from houhu.grid.filters import LayerQuerySerializer
from houhu.grid.models import District, Segment, Village

from .. import errors
from ..compact import serializers as compact_serializers
from ..web import ERROR_RESPONSES, GEOJSON, forbid_read_only, get_or_404, valid
from . import schema, selectors, services, tasks  # noqa: F401 - schema registers an OpenAPI extension
from . import serializers as s
from .models import Assignment


class AssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Responsibility (patch / segment / front door) as GeoJSON features. DELETE ends the
    assignment today (history is kept); nothing is ever erased."""

    serializer_class = s.AssignmentSerializer
    filterset_fields = ["scope", "district", "segment", "household", "front_door_state"]

    def get_queryset(self):
        qs = selectors.assignments_for(self.request.user).select_related(
            "segment", "user", "household"
        )
        if self.action == "list" and self.request.query_params.get("all") != "1":
            qs = qs.filter(selectors.active_on())
        return qs.order_by("pk")

    @extend_schema(
        request=s.AssignmentCreateSerializer,
        responses={201: s.AssignmentSerializer(many=True), **ERROR_RESPONSES},
        summary="Assign segments (one row each) or a drawn patch to a person",
    )
    def create(self, request: Request) -> Response:
        forbid_read_only(request)
        data = valid(s.AssignmentCreateSerializer, request)
        user = get_or_404(get_user_model(), data["user"]) if data.get("user") else None
        person = {
            "user": user,
            "person_name": data.get("person_name", ""),
            "person_phone": data.get("person_phone", ""),
        }
        dates = {"valid_from": data.get("valid_from"), "valid_until": data.get("valid_until")}
        if data["scope"] == "segment":
            ids = data.get("segments") or []
            segments = list(Segment.objects.filter(pk__in=ids))
            if len(segments) != len(set(ids)):
                raise errors.BadInput(_("Unknown segment id."))
            rows = services.assign_segments(
                segments=segments,
                is_primary=data["is_primary"],
                replace=data["replace"],
                note=data["note"],
                by=request.user,
                **person,
                **dates,
            )
        else:
            if data.get("polygon") is None:
                raise errors.BadGeometry()
            rows = [
                services.assign_patch(
                    polygon=data["polygon"],
                    district=get_or_404(District, data["district"])
                    if data.get("district")
                    else None,
                    village=get_or_404(Village, data["village"]) if data.get("village") else None,
                    note=data["note"],
                    by=request.user,
                    **person,
                    **dates,
                )
            ]
        return Response(
            s.AssignmentSerializer(rows, many=True, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={204: None, **ERROR_RESPONSES}, summary="End today (kept as history)")
    def destroy(self, request: Request, pk=None) -> Response:
        services.end_assignment(assignment=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.EndSerializer,
        responses={200: s.AssignmentSerializer, **ERROR_RESPONSES},
        summary="End on a date (last day of responsibility)",
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk=None) -> Response:
        data = valid(s.EndSerializer, request)
        a = services.end_assignment(
            assignment=self.get_object(),
            until=data.get("until"),
            note=data["note"],
            by=request.user,
        )
        return Response(s.AssignmentSerializer(a, context={"request": request}).data)

    @extend_schema(
        request=compact_serializers.NoteSerializer,
        responses={200: s.AssignmentSerializer, **ERROR_RESPONSES},
        summary="Confirm a proposed front door",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk=None) -> Response:
        data = valid(compact_serializers.NoteSerializer, request)
        a = services.confirm_front_door(
            assignment=self.get_object(), note=data["note"], by=request.user
        )
        return Response(s.AssignmentSerializer(a, context={"request": request}).data)

    @extend_schema(
        request=s.AdjustSerializer,
        responses={200: s.AssignmentSerializer, **ERROR_RESPONSES},
        summary="Move a front door to another segment",
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request: Request, pk=None) -> Response:
        data = valid(s.AdjustSerializer, request)
        a = services.adjust_front_door(
            assignment=self.get_object(),
            segment=get_or_404(Segment, data["segment"]),
            note=data["note"],
            by=request.user,
        )
        return Response(s.AssignmentSerializer(a, context={"request": request}).data)


class FrontDoorDerive(APIView):
    @extend_schema(
        request=s.DeriveSerializer,
        responses={202: s.TaskStatusSerializer, **ERROR_RESPONSES},
        summary="Derive front doors for a whole village in the background (Celery)",
    )
    def post(self, request: Request) -> Response:
        data = valid(s.DeriveSerializer, request)
        task_id = tasks.derive_front_doors_later(
            village=get_or_404(Village, data["village"]),
            max_distance_m=data.get("max_distance_m"),
            by=request.user,
        )
        return Response(
            {"task_id": task_id, "state": "PENDING", "done": 0, "total": None, "result": None},
            status=status.HTTP_202_ACCEPTED,
        )


class TaskStatus(APIView):
    @extend_schema(
        responses={200: s.TaskStatusSerializer},
        summary="Progress of a front-door derivation: PENDING, PROGRESS (done/total), SUCCESS",
    )
    def get(self, request: Request, task_id: str) -> Response:
        # Only people who may start the task may poll it; ids are unguessable UUIDs.
        if not can(request.user, Can.ACT_IN_DISTRICTS):
            raise PermissionDenied()
        result = AsyncResult(task_id)
        info = result.info if isinstance(result.info, dict) else None
        state = result.state
        body = {
            "task_id": task_id,
            "state": state,
            "done": info.get("done") if info else None,
            "total": info.get("total") if info else None,
            "result": info if state == "SUCCESS" else None,
        }
        if state == "FAILURE":
            body["result"] = {"error": _("The derivation failed; try again.")}
        return Response(body)


class Coverage(APIView):
    @extend_schema(
        parameters=[s.CoverageQuerySerializer],
        responses={200: s.CoverageRowSerializer(many=True)},
        summary="Pledge and responsibility coverage per village / TA / district / station",
    )
    def get(self, request: Request) -> Response:
        data = valid(s.CoverageQuerySerializer, request, request.query_params)
        return Response(selectors.coverage(level=data["level"], user=request.user))


class UnassignedSegments(APIView):
    @extend_schema(
        parameters=[compact_serializers.ListQuerySerializer],
        responses={200: s.UnassignedSegmentSerializer(many=True)},
        summary="Segments nobody holds (no active segment assignment)",
    )
    def get(self, request: Request) -> Response:
        data = valid(compact_serializers.ListQuerySerializer, request, request.query_params)
        qs = selectors.unassigned_segments(
            user=request.user, village=data.get("village"), district=data.get("district")
        )
        return Response(s.UnassignedSegmentSerializer(qs[:5000], many=True).data)


class _Layer(APIView):
    def params(self, request: Request) -> dict:
        return valid(LayerQuerySerializer, request, request.query_params)


class AssignmentLayer(_Layer):
    @extend_schema(
        parameters=[LayerQuerySerializer],
        responses={(200, GEOJSON): OpenApiTypes.OBJECT},
        summary="Active assignments as a FeatureCollection (built in PostGIS)",
    )
    def get(self, request: Request) -> HttpResponse:
        p = self.params(request)
        scope = request.query_params.get("scope")
        body = selectors.assignments_geojson(
            user=request.user,
            bbox=p.get("bbox"),
            district=p.get("district"),
            scope=scope if scope in Assignment.Scope.values else None,
        )
        return HttpResponse(body, content_type=GEOJSON)


class SegmentCoverageLayer(_Layer):
    @extend_schema(
        parameters=[LayerQuerySerializer],
        responses={(200, GEOJSON): OpenApiTypes.OBJECT},
        summary="Segments with responsible yes/no and the signed share of their front doors",
    )
    def get(self, request: Request) -> HttpResponse:
        p = self.params(request)
        body = selectors.segment_coverage_geojson(
            user=request.user, bbox=p.get("bbox"), district=p.get("district")
        )
        return HttpResponse(body, content_type=GEOJSON)


class MyResponsibilities(APIView):
    @extend_schema(
        responses={(200, GEOJSON): OpenApiTypes.OBJECT},
        summary="Your own patch, segments and front door (and your home) as features",
    )
    def get(self, request: Request) -> HttpResponse:
        body = selectors.villager_responsibilities_geojson(user=request.user)
        return HttpResponse(body, content_type=GEOJSON)
