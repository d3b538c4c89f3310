"""/api/patrols/: thin DRF views over the services and selectors.

Errors: a domain error answers {"detail": "<translated>", "code": "<code>"} (plus
{"<field>": ["…"]} when it concerns one field) with its own status, through the one
exception handler (houhu.lib.errors): 400 bad input, 403 role/grid, 409 forbidden
transition, 422 replayed client id with other content. A report the user may not read is
404, whatever its id.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from houhu.lib.parsers import ObjectJSONParser

from . import selectors, services
from .serializers import (
    ActionSerializer,
    CountRowSerializer,
    NearbyQuerySerializer,
    NearbyReportSerializer,
    NotificationSerializer,
    ReportDetailSerializer,
    ReportSerializer,
    ReportSubmitSerializer,
    SightingSerializer,
    WorkQueueItemSerializer,
)

FILTER_PARAMS = [
    OpenApiParameter("kind", str, description="tree, construction, … (comma-separated)"),
    OpenApiParameter("status", str, description="submitted, confirmed, … (comma-separated)"),
    OpenApiParameter("district", int),
    OpenApiParameter("since", OpenApiTypes.DATE, description="Written on or after (local)"),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Written on or before (local)"),
    OpenApiParameter("in_zone", bool),
    OpenApiParameter("bbox", str, description="minLon,minLat,maxLon,maxLat (intersects)"),
    OpenApiParameter("q", str, description="A report number (123 or #123), or words of the note"),
]
ERRORS = {
    400: OpenApiResponse(description="Invalid input: {detail, <field>: [...]}"),
    403: OpenApiResponse(description="Not allowed for this role or grid"),
    404: OpenApiResponse(description="No such report for this user"),
}


def _fields(request) -> dict:
    """The form fields and the uploaded photos (a QueryDict copy would deep-copy them). A
    `photos` that is not files (a JSON string, a text field) goes to the serializer as it
    came, which refuses it naming `photos`: it used to be dropped without a word."""
    data = {key: request.data.get(key) for key in request.data if key != "photos"}
    files = request.FILES.getlist("photos")
    data["photos"] = files if files or "photos" not in request.data else request.data["photos"]
    return data


class ReportListCreate(generics.ListAPIView):
    serializer_class = ReportSerializer
    parser_classes = [MultiPartParser, FormParser, ObjectJSONParser]
    filter_backends: list = []
    # Not the general write limit: the service counts new reports (patrols.throttles), so
    # replays of a stored client_id never count, on the API and the page alike.
    throttle_classes: list = []

    def get_queryset(self):
        # The grid's boundary and the segment's route are large geometries a list never
        # shows: parsing them was a third of the list's time (issue 12).
        qs = (
            selectors.reports_for(self.request.user)
            .select_related("district", "segment", "reporter")
            .defer("district__boundary", "segment__geom")
        )
        return selectors.filter_reports(qs, self.request.query_params)

    @extend_schema(parameters=FILTER_PARAMS, summary="Reports the user may read")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={
            "multipart/form-data": ReportSubmitSerializer,
            "application/json": ReportSubmitSerializer,
        },
        responses={
            201: ReportSerializer,
            200: OpenApiResponse(ReportSerializer, description="Replay: the first answer"),
            422: OpenApiResponse(description="Same client_id, different content"),
            429: OpenApiResponse(description="Too many new reports from this account"),
            **ERRORS,
        },
        summary="Submit a patrol report (idempotent on client_id)",
    )
    def post(self, request, *args, **kwargs):
        photos = request.FILES.getlist("photos")
        incoming = ReportSubmitSerializer(data=_fields(request))
        incoming.is_valid(raise_exception=True)
        report, created = services.report_submit(
            reporter=request.user, submission=incoming.submission(photos)
        )
        if not created:
            report = (
                selectors.reports_for(request.user)
                .select_related("district", "segment", "reporter")
                .defer("district__boundary", "segment__geom")
                .get(pk=report.pk)
            )
        # A receipt, not the detail: the phone needs the id and status (the detail, with
        # history and the people responsible, is one GET away) and the answer costs no
        # further query (issue 12).
        body = ReportSerializer(report, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


NEARBY_SHOWN = 3  # a phone shows the nearest few; more would only be the same hazard again


class NearbyReports(APIView):
    """Before sending: is this hazard already reported here? (issue 13)"""

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, required=True),
            OpenApiParameter("lon", float, required=True),
            OpenApiParameter("lat", float, required=True),
        ],
        responses={200: NearbyReportSerializer(many=True), **ERRORS},
        summary="Open reports of a kind within PATROLS_MERGE_DISTANCE_M (30 m) of a place",
    )
    def get(self, request):
        query = NearbyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.open_reports_near(
            request.user, kind=query.validated_data["kind"], point=query.validated_data["location"]
        )[:NEARBY_SHOWN]
        context = {"now": timezone.now()}
        return Response(NearbyReportSerializer(rows, many=True, context=context).data)


class Sightings(APIView):
    parser_classes = [FormParser, ObjectJSONParser]

    @extend_schema(
        request=SightingSerializer,
        responses={
            201: OpenApiResponse(description="{id, report}: recorded"),
            200: OpenApiResponse(description="{id, report}: a resend, recorded before"),
            422: OpenApiResponse(description="Same client_id, different content"),
            **ERRORS,
        },
        summary="Add my sighting to an open report nearby (idempotent on client_id)",
    )
    def post(self, request):
        incoming = SightingSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        sighting, created = services.report_sighting_add(
            by=request.user,
            report_id=data["report"],
            client_id=data["client_id"],
            location=data["location"],
            note=data.get("note", ""),
        )
        return Response(
            {"id": sighting.pk, "report": sighting.report_id},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ReportDetail(generics.RetrieveAPIView):
    serializer_class = ReportDetailSerializer

    def get_queryset(self):
        return selectors.report_detail_queryset(self.request.user)


class ReportAction(APIView):
    parser_classes = [MultiPartParser, FormParser, ObjectJSONParser]

    @extend_schema(
        request={"multipart/form-data": ActionSerializer, "application/json": ActionSerializer},
        responses={
            200: ReportDetailSerializer,
            409: OpenApiResponse(description="Transition not allowed in this state"),
            **ERRORS,
        },
        summary="Take a workflow step (confirm, reject, clear, verify, reopen, not_fixed, "
        "stop, permit, escalate, merge)",
    )
    def post(self, request, pk: int):
        report = selectors.reports_for(request.user).filter(pk=pk).first()
        if report is None:
            raise Http404
        photos = request.FILES.getlist("photos")
        incoming = ActionSerializer(data=_fields(request))
        incoming.is_valid(raise_exception=True)
        services.report_transition(report=report, step=incoming.step(photos), by=request.user)
        report = selectors.report_detail_queryset(request.user).get(pk=pk)
        return Response(ReportDetailSerializer(report, context={"request": request}).data)


class ReportLayer(APIView):
    @extend_schema(
        parameters=FILTER_PARAMS,
        responses={(200, "application/geo+json"): OpenApiTypes.OBJECT},
        summary="Reports as a GeoJSON FeatureCollection (built in PostGIS)",
        description="Feature properties: id, kind, status, in_zone, distance_m, district, "
        "district_name, submitted_at, kind_label, status_label.",
    )
    def get(self, request):
        qs = selectors.filter_reports(selectors.reports_for(request.user), request.query_params)
        return HttpResponse(selectors.reports_geojson(qs), content_type="application/geo+json")


class WorkQueue(generics.ListAPIView):
    """The work queue of the user's area, most pressing first, paged (limit, offset)."""

    serializer_class = WorkQueueItemSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.work_queue(self.request.user).select_related(None)

    @extend_schema(summary="New, confirmed and overdue reports of my area, most pressing first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationList(generics.ListAPIView):
    serializer_class = NotificationSerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = selectors.notifications_for(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(parameters=[OpenApiParameter("unread", bool, description="Only unread")])
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # The bell's number: all unread, not only those on this page (one indexed count).
        response.data["unread"] = (
            selectors.notifications_for(request.user).filter(read_at__isnull=True).count()
        )
        return response


class NotificationRead(APIView):
    @extend_schema(request=None, responses={200: NotificationSerializer, 403: OpenApiResponse()})
    def post(self, request, pk: int):
        notification = services.notification_mark_read(notification_id=pk, by=request.user)
        return Response(NotificationSerializer(notification).data)


class Counts(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "level", str, enum=["district", "transformer_area", "village", "station"]
            ),
            OpenApiParameter("since", OpenApiTypes.DATE),
            OpenApiParameter("until", OpenApiTypes.DATE),
            OpenApiParameter("district", int),
        ],
        responses={200: CountRowSerializer(many=True)},
        summary="The station's counts per grid, transformer area, village or station",
    )
    def get(self, request):
        params = request.query_params
        district = params.get("district")
        rows = selectors.report_counts(
            user=request.user,
            level=params.get("level") or "district",
            since=selectors.parse_date(params.get("since"), "since"),
            until=selectors.parse_date(params.get("until"), "until"),
            district_id=int(district) if district and district.isdigit() else None,
        )
        return Response(rows)
