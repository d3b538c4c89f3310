"""/api/pledges/ for the compact: compacts, versions and clauses, pledges (signing,
renewal, withdrawal), household visits and the CSV import. Thin DRF views: querysets from
scoped selectors, every write through a service; a domain error answers its own status
(403 not allowed, 409 conflict, 400 otherwise) with a translated `detail` and a stable
`code`, through the one exception handler (houhu.lib.errors)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from houhu.accounts.scopes import districts_for
from houhu.grid.models import District, Household, Station, Village
from houhu.lib.parsers import ObjectJSONParser

from ..web import ERROR_RESPONSES, get_or_404, valid
from . import csv_import, selectors, services, signing, visits
from . import serializers as s
from .models import Clause, CompactVersion


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
        data = valid(s.CompactCreateSerializer, request)
        station_id = data.get("station") or request.user.station_id
        if station_id is None:
            station_id = districts_for(request.user).values_list("station", flat=True).first()
        station = get_or_404(Station, station_id)
        compact = services.compact_create(
            station=station,
            title=data["title"],
            scope=data["scope"],
            district=get_or_404(District, data["district"]) if data.get("district") else None,
            village=get_or_404(Village, data["village"]) if data.get("village") else None,
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
        data = valid(s.NewVersionSerializer, request)
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
        village = get_or_404(Village, int(village_id))
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
        data = valid(s.PublishSerializer, request)
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
        data = valid(s.ClauseAddSerializer, request)
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


class PledgeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Pledges of the households in your scope (a villager: their own)."""

    serializer_class = s.PledgeSerializer
    parser_classes = [ObjectJSONParser, MultiPartParser, FormParser]
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
        incoming = s.PledgeCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        pledge = signing.sign(
            signing=incoming.signing(
                household=get_or_404(Household, data["household"]),
                version=get_or_404(CompactVersion, data["version"]),
                method=data["method"],
            ),
            by=request.user,
        )
        return Response(
            s.PledgeSerializer(pledge, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=s.NoteSerializer,
        responses={200: s.PledgeSerializer, **ERROR_RESPONSES},
        summary="Withdraw an active pledge (kept as history)",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk=None) -> Response:
        data = valid(s.NoteSerializer, request)
        pledge = signing.pledge_withdraw(
            pledge=self.get_object(), note=data["note"], by=request.user
        )
        return Response(s.PledgeSerializer(pledge, context={"request": request}).data)

    @extend_schema(
        request=s.RenewSerializer,
        responses={201: s.PledgeSerializer, **ERROR_RESPONSES},
        summary="Renew an active pledge on the version in force",
    )
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, pk=None) -> Response:
        incoming = s.RenewSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        pledge = self.get_object()
        new = signing.renew(
            pledge=pledge,
            signing=incoming.signing(
                household=pledge.household,
                version=get_or_404(CompactVersion, incoming.validated_data["version"]),
                method=signing.method_for(request.user),
            ),
            by=request.user,
        )
        return Response(
            s.PledgeSerializer(new, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


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
        data = valid(s.VisitCreateSerializer, request)
        visit = visits.visit_record(
            household=get_or_404(Household, data["household"]),
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
        data = valid(s.ImportSerializer, request)
        report = csv_import.import_pledges(
            file=data["file"], dry_run=data["dry_run"], by=request.user
        )
        return Response(
            report.as_dict(),
            status=status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST,
        )


class UnsignedHouseholds(APIView):
    @extend_schema(
        parameters=[s.ListQuerySerializer],
        responses={200: s.UnsignedHouseholdSerializer(many=True)},
        summary="Households without an active pledge (the visit list)",
    )
    def get(self, request: Request) -> Response:
        data = valid(s.ListQuerySerializer, request, request.query_params)
        qs = selectors.unsigned_households(
            user=request.user, village=data.get("village"), district=data.get("district")
        )
        return Response(
            s.UnsignedHouseholdSerializer(qs[:5000], many=True, context={"request": request}).data
        )
