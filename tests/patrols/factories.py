"""Factories for patrol reports. A report is built on the core factories' geometry; the
services, not these factories, snap and resolve (tests of those call the services)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import factory
from django.contrib.gis.geos import LineString
from django.utils import timezone

from houhu.accounts.models import User
from patrols.models import Report, ReportEvent
from tests.factories import (
    LON0,
    DistrictFactory,
    HouseholdFactory,
    LineFactory,
    SegmentFactory,
    StationFactory,
    TransformerAreaFactory,
    UserFactory,
    VillageFactory,
    manager_of,
    point,
    square,
    villager_for,
)


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    client_id = factory.LazyFunction(uuid.uuid4)
    content_hash = factory.LazyFunction(lambda: uuid.uuid4().hex * 2)
    reporter = factory.SubFactory(UserFactory)
    kind = Report.Kind.TREE
    status = Report.Status.SUBMITTED
    location = factory.LazyFunction(lambda: point(100, 100))
    accuracy_m = 8.0
    district = factory.SubFactory(DistrictFactory)
    tree_count = factory.LazyAttribute(lambda o: 2 if o.kind == Report.Kind.TREE else None)
    construction_kind = factory.LazyAttribute(
        lambda o: Report.ConstructionKind.EXCAVATION if o.kind == Report.Kind.CONSTRUCTION else ""
    )
    behaviour = factory.LazyAttribute(
        lambda o: Report.Behaviour.WET_HANDS if o.kind == Report.Kind.BEHAVIOUR else ""
    )
    damage_kind = factory.LazyAttribute(
        lambda o: Report.DamageKind.POLE if o.kind == Report.Kind.DAMAGE else ""
    )
    submitted_at = factory.LazyFunction(timezone.now)


class ReportEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportEvent

    report = factory.SubFactory(ReportFactory)
    actor = factory.SelfAttribute("report.reporter")
    action = ReportEvent.Action.SUBMIT
    from_status = ""
    to_status = Report.Status.SUBMITTED


# The action that moves a report into each status (for add_history's last step).
_ACTION_TO = {
    Report.Status.CONFIRMED: ReportEvent.Action.CONFIRM,
    Report.Status.REJECTED: ReportEvent.Action.REJECT,
    Report.Status.CLEARED: ReportEvent.Action.CLEAR,
    Report.Status.VERIFIED: ReportEvent.Action.VERIFY,
    Report.Status.REOPENED: ReportEvent.Action.REOPEN,
    Report.Status.STOPPED: ReportEvent.Action.STOP,
    Report.Status.PERMITTED: ReportEvent.Action.PERMIT,
    Report.Status.ESCALATED: ReportEvent.Action.ESCALATE,
}


def add_history(report: Report) -> Report:
    """The events the services would have written for a report built with these milestones:
    submitted at receipt, then confirmed, cleared and verified at their times, and moved to
    its final status at `status_changed_at` if the milestones do not end there. Stocks
    ("open at the end of November") read a report's status at an instant from its events."""
    S, A = Report.Status, ReportEvent.Action
    born = S.RECORDED if report.kind == Report.Kind.NOTHING_FOUND else S.SUBMITTED
    steps = [(report.received_at, A.SUBMIT, born)]
    for at, action, target in (
        (report.confirmed_at, A.CONFIRM, S.CONFIRMED),
        (report.cleared_at, A.CLEAR, S.CLEARED),
        (report.verified_at, A.VERIFY, S.VERIFIED),
    ):
        if at is not None:
            steps.append((at, action, target))
    if steps[-1][2] != report.status:
        at = max(report.status_changed_at, steps[-1][0])
        steps.append((at, _ACTION_TO[report.status], report.status))
    previous = ""
    for at, action, target in steps:
        ReportEvent.objects.create(
            report=report, actor=report.reporter, at=at, action=action,
            from_status=previous, to_status=target,
        )  # fmt: skip
        previous = target
    return report


class Grid(SimpleNamespace):
    """A hand-checkable station: one 2 km square grid (district) with a 10 kV line along
    y = 500 m from x = 0 to 2000 m, a second grid of another station beside it."""


def build_grid() -> Grid:
    station = StationFactory()
    district = DistrictFactory(station=station, boundary=square(size=0.02))
    ta = TransformerAreaFactory(district=district, transformer=point(1000, 300))
    village = VillageFactory(station=station)
    household = HouseholdFactory(transformer_area=ta, village=village, location=point(1000, 520))
    line = LineFactory(
        station=station, voltage_kv=10, geom=LineString(point(0, 500), point(2000, 500))
    )
    segment_west = SegmentFactory(
        line=line, seq=1, district=district, transformer_area=ta,
        geom=LineString(point(0, 500), point(1000, 500)),
    )  # fmt: skip
    segment_east = SegmentFactory(
        line=line, seq=2, district=district, transformer_area=ta,
        geom=LineString(point(1000, 500), point(2000, 500)),
    )  # fmt: skip
    villager = villager_for(household)
    manager = manager_of(district)
    staff = UserFactory(role=User.Role.STAFF, station=station)
    leader = UserFactory(role=User.Role.LEADER, county=station.county)

    # Another station's grid, 4 km east: its people must not act here, nor we there.
    other_station = StationFactory()
    other_district = DistrictFactory(
        station=other_station, boundary=square(x0=LON0 + 0.04, size=0.02)
    )
    other_ta = TransformerAreaFactory(district=other_district)
    other_household = HouseholdFactory(transformer_area=other_ta)
    other_line = LineFactory(
        station=other_station,
        geom=LineString(point(4000, 500), point(6000, 500)),
    )
    other_segment = SegmentFactory(
        line=other_line, seq=1, district=other_district, geom=other_line.geom.clone()
    )
    return Grid(
        station=station, district=district, ta=ta, village=village, household=household,
        line=line, segment_west=segment_west, segment_east=segment_east,
        villager=villager, manager=manager, staff=staff, leader=leader,
        other_station=other_station, other_district=other_district,
        other_household=other_household, other_segment=other_segment,
        other_villager=villager_for(other_household),
        other_manager=manager_of(other_district),
        other_staff=UserFactory(role=User.Role.STAFF, station=other_station),
    )  # fmt: skip


def tree_data(dx: float = 1000, dy: float = 503, **extra) -> dict:
    """Submission data for a tree obstacle at (dx, dy) metres of the grid's origin."""
    p = point(dx, dy)
    return {
        "kind": "tree", "lon": p.x, "lat": p.y, "accuracy_m": 6, "location_source": "gps",
        "tree_count": 3, "tree_distance_m": 2.5, "note": "杨树靠线",
        "submitted_at": "2026-11-20T08:30:00+08:00", **extra,
    }  # fmt: skip


def image_file(fmt: str = "JPEG", size=(64, 48), name: str | None = None, exif=None, color="red"):
    """A real, small image upload generated by Pillow."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    img = Image.new("RGB", size, color)
    kwargs = {"exif": exif} if exif is not None else {}
    img.save(buf, format=fmt, **kwargs)
    ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "TIFF": "tif"}.get(fmt, "bin")
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
    return SimpleUploadedFile(
        name or f"photo.{ext}", buf.getvalue(), content_type=content_type.get(fmt, "image/jpeg")
    )


def submit(*, reporter, client_id, data: dict, photos=()):
    """A report through its one boundary (the API's serializer, which the page uses too),
    then the service: what a phone's POST does, without HTTP."""
    from patrols.serializers import ReportSubmitSerializer
    from patrols.services import report_submit

    photos = list(photos)
    incoming = ReportSubmitSerializer(data={"client_id": str(client_id), **data, "photos": photos})
    incoming.is_valid(raise_exception=True)
    return report_submit(reporter=reporter, submission=incoming.submission(photos))


def transition(*, report, action: str, by, note: str = "", data: dict | None = None, photos=()):
    """A workflow step through its one boundary (the API's serializer), then the service."""
    from patrols.serializers import ActionSerializer
    from patrols.services import report_transition

    photos = list(photos)
    incoming = ActionSerializer(
        data={"action": action, "note": note, **(data or {}), "photos": photos}
    )
    incoming.is_valid(raise_exception=True)
    return report_transition(report=report, step=incoming.step(photos), by=by)
