"""Thin DRF views of the pledges app: querysets from scoped selectors, every write through
`pledges.services`; a domain error answers its own status (403 not allowed, 409 conflict,
400 otherwise) with a translated `detail` and a stable `code`, through the one exception
handler (houhu.lib.errors)."""

from __future__ import annotations

from celery.result import AsyncResult
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from houhu.accounts.scopes import districts_for
from houhu.grid.filters import LayerQuerySerializer
from houhu.grid.models import District, Household, Segment, Station, Village

from . import csv_import, errors, schema, selectors, services, tasks  # noqa: F401 - schema registers an OpenAPI extension
from . import serializers as s
from .models import Assignment, Clause, CompactVersion, Pledge

GEOJSON = "application/geo+json"
ERROR_RESPONSES = {
    400: OpenApiResponse(s.ErrorSerializer, description="Broken rule or bad input."),
    403: OpenApiResponse(s.ErrorSerializer, description="Outside your area or role."),
    409: OpenApiResponse(s.ErrorSerializer, description="Already signed / assigned."),
}


def _forbid_read_only(request: Request) -> None:
    if request.user.is_leader:
        raise PermissionDenied(_("County leaders read; they do not change records."))


def _get(model, pk):
    # Existence only: every permission is the service's decision (it raises NotAllowed).
    return get_object_or_404(model, pk=pk)


# --- compact -------------------------------------------------------------------------------


class CompactViewSet(viewsets.ReadOnlyModelViewSet):
    """The station's compacts (村规民约), with their versions."""

    serializer_class = s.CompactSerializer

    def get_queryset(self):
        return selectors.compacts_for(self.request.user).prefetch_related("versions")

    @extend_schema(
        request=s.CompactCreateSerializer,
        responses={201: s.CompactSerializer, **ERROR_RESPONSES},
        summary="Create a compact with a first draft version (station staff)",
    )
    def create(self, request: Request) -> Response:
        data = _valid(s.CompactCreateSerializer, request)
        station_id = data.get("station") or request.user.station_id
        if station_id is None:
            station_id = districts_for(request.user).values_list("station", flat=True).first()
        station = _get(Station, station_id)
        compact = services.compact_create(
            station=station,
            title=data["title"],
            scope=data["scope"],
            district=_get(District, data["district"]) if data.get("district") else None,
            village=_get(Village, data["village"]) if data.get("village") else None,
            motto=data.get("motto"),
            effective_from=data.get("effective_from"),
            renew_after_days=data.get("renew_after_days"),
            clauses=data.get("clauses", []),
            by=request.user,
        )
        return Response(s.CompactSerializer(compact).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.NewVersionSerializer,
        responses={201: s.CompactVersionSerializer, **ERROR_RESPONSES},
        summary="Start a new draft version (clauses copied from the latest)",
    )
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request: Request, pk=None) -> Response:
        data = _valid(s.NewVersionSerializer, request)
        version = services.compact_new_version(
            compact=self.get_object(), change_note=data["change_note"], by=request.user
        )
        return Response(s.CompactVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class CompactVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Versions with their clauses. Drafts are visible to station staff only."""

    serializer_class = s.CompactVersionSerializer

    def get_queryset(self):
        qs = selectors.versions_for(self.request.user).prefetch_related("clauses")
        compact = self.request.query_params.get("compact")
        if compact and compact.isdigit():
            qs = qs.filter(compact_id=int(compact))
        return qs.order_by("compact", "-number")

    @extend_schema(
        parameters=[OpenApiParameter("village", int, required=True)],
        responses={200: s.CompactVersionSerializer, 404: None},
        summary="The version in force for a village",
    )
    @action(detail=False, methods=["get"], url_path="in-force")
    def in_force(self, request: Request) -> Response:
        village_id = request.query_params.get("village", "")
        if not village_id.isdigit():
            return Response(
                {"code": "bad_input", "detail": _("Give ?village=<id>.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        village = _get(Village, int(village_id))
        version = selectors.compact_in_force(village=village)
        if version is None:
            return Response(
                {"code": "none", "detail": _("No compact is in force for this village.")},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(s.CompactVersionSerializer(version).data)

    @extend_schema(
        request=s.PublishSerializer,
        responses={200: s.CompactVersionSerializer, **ERROR_RESPONSES},
        summary="Publish a draft (supersedes the version in force)",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk=None) -> Response:
        data = _valid(s.PublishSerializer, request)
        version = services.compact_publish(
            version=self.get_object(), effective_from=data.get("effective_from"), by=request.user
        )
        return Response(s.CompactVersionSerializer(version).data)

    @extend_schema(
        request=s.ClauseAddSerializer,
        responses={201: s.ClauseSerializer, **ERROR_RESPONSES},
        summary="Add a clause to a draft",
    )
    @action(detail=True, methods=["post"])
    def clauses(self, request: Request, pk=None) -> Response:
        data = _valid(s.ClauseAddSerializer, request)
        clause = services.clause_add(
            version=self.get_object(),
            kind=data["kind"],
            text=data["text"],
            number=data.get("number"),
            by=request.user,
        )
        return Response(s.ClauseSerializer(clause).data, status=status.HTTP_201_CREATED)


class ClauseViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Edit or remove a clause of a draft (published versions refuse: 400 version_frozen)."""

    serializer_class = s.ClauseSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        versions = selectors.versions_for(self.request.user)
        return Clause.objects.filter(version__in=versions)

    @extend_schema(
        request=s.ClauseInputSerializer(partial=True),
        responses={200: s.ClauseSerializer, **ERROR_RESPONSES},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        serializer = s.ClauseInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        clause = services.clause_update(
            clause=self.get_object(),
            kind=serializer.validated_data.get("kind"),
            text=serializer.validated_data.get("text"),
            by=request.user,
        )
        return Response(s.ClauseSerializer(clause).data)

    @extend_schema(responses={204: None, **ERROR_RESPONSES})
    def destroy(self, request: Request, pk=None) -> Response:
        services.clause_delete(clause=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _valid(serializer_class, request: Request, data=None) -> dict:
    serializer = serializer_class(data=request.data if data is None else data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- pledges -------------------------------------------------------------------------------


class PledgeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Pledges of the households in your scope (a villager: their own)."""

    serializer_class = s.PledgeSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["status", "method", "version", "household"]

    def get_queryset(self):
        return selectors.pledges_for(self.request.user).order_by("-signed_at", "-pk")

    @extend_schema(
        request={
            "application/json": s.PledgeCreateSerializer,
            "multipart/form-data": s.PledgeCreateSerializer,
        },
        responses={201: s.PledgeSerializer, **ERROR_RESPONSES},
        summary="Sign: online by the household's villager, or record a paper signing (staff)",
    )
    def create(self, request: Request) -> Response:
        data = _valid(s.PledgeCreateSerializer, request)
        household = _get(Household, data["household"])
        version = _get(CompactVersion, data["version"])
        if data["method"] == Pledge.Method.ONLINE:
            pledge = services.pledge_sign_online(
                household=household, version=version, by=request.user, confirm=data["confirm"]
            )
        else:
            if "signed_on" not in data:
                raise errors.BadInput(_("Give the date written on the signed sheet."))
            pledge = services.pledge_record_paper(
                household=household,
                version=version,
                signatory=data.get("signatory", ""),
                witness=data.get("witness", ""),
                signed_on=data["signed_on"],
                scan=data.get("scan"),
                by=request.user,
            )
        return Response(s.PledgeSerializer(pledge).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.NoteSerializer,
        responses={200: s.PledgeSerializer, **ERROR_RESPONSES},
        summary="Withdraw an active pledge (kept as history)",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk=None) -> Response:
        data = _valid(s.NoteSerializer, request)
        pledge = services.pledge_withdraw(
            pledge=self.get_object(), note=data["note"], by=request.user
        )
        return Response(s.PledgeSerializer(pledge).data)

    @extend_schema(
        request=s.RenewSerializer,
        responses={201: s.PledgeSerializer, **ERROR_RESPONSES},
        summary="Renew an active pledge on the version in force",
    )
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, pk=None) -> Response:
        data = _valid(s.RenewSerializer, request)
        pledge = services.pledge_renew(
            pledge=self.get_object(),
            version=_get(CompactVersion, data["version"]),
            confirm=data["confirm"],
            signatory=data.get("signatory", ""),
            witness=data.get("witness", ""),
            signed_on=data.get("signed_on"),
            scan=data.get("scan"),
            by=request.user,
        )
        return Response(s.PledgeSerializer(pledge).data, status=status.HTTP_201_CREATED)


class HouseholdVisitViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Visits of grid managers and staff to the households in your scope."""

    serializer_class = s.HouseholdVisitSerializer
    filterset_fields = ["household", "outcome", "visited_by"]

    def get_queryset(self):
        return selectors.visits_for(self.request.user).order_by("-visited_on", "-pk")

    @extend_schema(
        request=s.VisitCreateSerializer,
        responses={201: s.HouseholdVisitSerializer, **ERROR_RESPONSES},
        summary="Record a visit to a household of your grid (one per household, visitor, day)",
    )
    def create(self, request: Request) -> Response:
        data = _valid(s.VisitCreateSerializer, request)
        visit = services.visit_record(
            household=_get(Household, data["household"]),
            by=request.user,
            outcome=data["outcome"],
            visited_on=data.get("visited_on"),
            note=data["note"],
        )
        return Response(s.HouseholdVisitSerializer(visit).data, status=status.HTTP_201_CREATED)


class PledgeImport(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": s.ImportSerializer},
        responses={200: s.ImportReportSerializer, 400: s.ImportReportSerializer, 403: None},
        summary="Import paper pledges from CSV: all rows or none, with every rejected row",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.ImportSerializer, request)
        report = csv_import.import_pledges(
            file=data["file"], dry_run=data["dry_run"], by=request.user
        )
        return Response(
            report.as_dict(),
            status=status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST,
        )


# --- assignments ---------------------------------------------------------------------------


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
        _forbid_read_only(request)
        data = _valid(s.AssignmentCreateSerializer, request)
        user = _get(get_user_model(), data["user"]) if data.get("user") else None
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
                    district=_get(District, data["district"]) if data.get("district") else None,
                    village=_get(Village, data["village"]) if data.get("village") else None,
                    note=data["note"],
                    by=request.user,
                    **person,
                    **dates,
                )
            ]
        return Response(
            s.AssignmentSerializer(rows, many=True).data, status=status.HTTP_201_CREATED
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
        data = _valid(s.EndSerializer, request)
        a = services.end_assignment(
            assignment=self.get_object(),
            until=data.get("until"),
            note=data["note"],
            by=request.user,
        )
        return Response(s.AssignmentSerializer(a).data)

    @extend_schema(
        request=s.NoteSerializer,
        responses={200: s.AssignmentSerializer, **ERROR_RESPONSES},
        summary="Confirm a proposed front door",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk=None) -> Response:
        data = _valid(s.NoteSerializer, request)
        a = services.confirm_front_door(
            assignment=self.get_object(), note=data["note"], by=request.user
        )
        return Response(s.AssignmentSerializer(a).data)

    @extend_schema(
        request=s.AdjustSerializer,
        responses={200: s.AssignmentSerializer, **ERROR_RESPONSES},
        summary="Move a front door to another segment",
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request: Request, pk=None) -> Response:
        data = _valid(s.AdjustSerializer, request)
        a = services.adjust_front_door(
            assignment=self.get_object(),
            segment=_get(Segment, data["segment"]),
            note=data["note"],
            by=request.user,
        )
        return Response(s.AssignmentSerializer(a).data)


class FrontDoorDerive(APIView):
    @extend_schema(
        request=s.DeriveSerializer,
        responses={202: s.TaskStatusSerializer, **ERROR_RESPONSES},
        summary="Derive front doors for a whole village in the background (Celery)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.DeriveSerializer, request)
        task_id = tasks.derive_front_doors_later(
            village=_get(Village, data["village"]),
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
        if request.user.role in (request.user.Role.VILLAGER, request.user.Role.LEADER):
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


# --- figures, lists and layers -------------------------------------------------------------


class Coverage(APIView):
    @extend_schema(
        parameters=[s.CoverageQuerySerializer],
        responses={200: s.CoverageRowSerializer(many=True)},
        summary="Pledge and responsibility coverage per village / TA / district / station",
    )
    def get(self, request: Request) -> Response:
        data = _valid(s.CoverageQuerySerializer, request, request.query_params)
        return Response(selectors.coverage(level=data["level"], user=request.user))


class UnsignedHouseholds(APIView):
    @extend_schema(
        parameters=[s.ListQuerySerializer],
        responses={200: s.UnsignedHouseholdSerializer(many=True)},
        summary="Households without an active pledge (the visit list)",
    )
    def get(self, request: Request) -> Response:
        data = _valid(s.ListQuerySerializer, request, request.query_params)
        qs = selectors.unsigned_households(
            user=request.user, village=data.get("village"), district=data.get("district")
        )
        return Response(s.UnsignedHouseholdSerializer(qs[:5000], many=True).data)


class UnassignedSegments(APIView):
    @extend_schema(
        parameters=[s.ListQuerySerializer],
        responses={200: s.UnassignedSegmentSerializer(many=True)},
        summary="Segments nobody holds (no active segment assignment)",
    )
    def get(self, request: Request) -> Response:
        data = _valid(s.ListQuerySerializer, request, request.query_params)
        qs = selectors.unassigned_segments(
            user=request.user, village=data.get("village"), district=data.get("district")
        )
        return Response(s.UnassignedSegmentSerializer(qs[:5000], many=True).data)


class _Layer(APIView):
    def params(self, request: Request) -> dict:
        return _valid(LayerQuerySerializer, request, request.query_params)


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
