"""Every operation of the OpenAPI schema (/api/schema/), as every role, against objects of
its own area and of someone else's, reads first and then writes. For each answer:

- never a 5xx (those the `robust` branch is fixing are listed in ROBUST_5XX: xfail);
- anonymous: refused (401/403) everywhere but the token endpoint;
- an object the role may not read (houhu.accounts.scopes says which): GET answers 403/404,
  and every operation answers exactly what it answers for an id that does not exist (no
  oracle);
- a county leader never changes anything (4xx on every write);
- every 200 read is searched for the seeded names and phones the role may not see by
  `scopes.PERSONAL_DATA` (or that lie outside its area), and for "/media/".

World: two stations, each in its own county; station S with grids d1 and d2, station T with
grid d3. Each grid has a household with a villager account (and a neighbour household), a
line guard recorded by name and phone, a report with a photo, a confirmed front door, a
pledge with a scanned sheet, a visit; each station a compact (version in force and a
draft with a clause). Roles: anonymous, villager (d1), villager of another grid (d2), grid
manager (d1), manager of another grid (d2), staff (S), county leader (S's county), admin
(S). Figures for docs/security.md: `make test ARGS="tests/test_schema_walk.py -s"`.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass, field

import pytest
from django.contrib.gis.geos import LineString
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image

from houhu.accounts import scopes
from houhu.accounts.models import User
from patrols.models import Notification
from pledges.compact import visits
from pledges.models import Assignment
from pledges.responsibility.services import assign_segments
from tests.factories import (
    CountyFactory,
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
from tests.patrols.factories import image_file, submit, transition, tree_data
from tests.pledges.factories import (
    ClauseFactory,
    CompactFactory,
    CompactVersionFactory,
    PledgeFactory,
    PublishedVersionFactory,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "villager",
    "other_villager",
    "manager",
    "other_manager",
    "staff",
    "leader",
    "admin",
]
# Operations whose 5xx the `robust` branch fixes (issue 8: non-object bodies, huge
# limits, these endpoints); here they are recorded, not fixed.
ROBUST_5XX = {
    ("GET", "/api/pledges/unassigned-segments/"),
    ("GET", "/api/stats/snapshots/"),
    ("GET", "/api/stats/snapshots/{id}/"),
}
FIGURES: dict[str, int] = {}


@dataclass
class Area:
    district: object
    objects: dict = field(default_factory=dict)
    secrets: list = field(default_factory=list)  # (text, whose, household_id or None)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, "JPEG")
    return out.getvalue()


def populate(n: int, district, station, x0: float) -> Area:
    """One grid's people and records; names and phones unique to this grid (`n`)."""
    area = Area(district)
    manager = manager_of(district, display_name=f"经理{n}")
    ta = TransformerAreaFactory(district=district, transformer=point(1000, 300, x0=x0))
    village = VillageFactory(station=station)
    home = HouseholdFactory(
        transformer_area=ta, village=village, head_name=f"户主甲{n}", phone=f"1380000{n:04d}",
        location=point(1000, 520, x0=x0),
    )  # fmt: skip
    neighbour = HouseholdFactory(
        transformer_area=ta, village=village, head_name=f"邻居乙{n}", phone=f"1381111{n:04d}",
        location=point(1500, 520, x0=x0),
    )  # fmt: skip
    villager = villager_for(home, display_name=home.head_name)
    line = LineFactory(
        station=station, geom=LineString(point(0, 500, x0=x0), point(2000, 500, x0=x0))
    )
    segment = SegmentFactory(
        line=line, seq=1, district=district, transformer_area=ta, geom=line.geom.clone()
    )
    (assignment,) = assign_segments(
        segments=[segment], person_name=f"护线丙{n}", person_phone=f"1372222{n:04d}", by=manager
    )
    Assignment.objects.create(
        scope=Assignment.Scope.FRONT_DOOR, household=neighbour, segment=segment,
        district=district, valid_from="2024-01-01", distance_m=20,
        front_door_state=Assignment.FrontDoorState.CONFIRMED,
    )  # fmt: skip
    report, _ = submit(
        reporter=villager, client_id=uuid.uuid4(), photos=[image_file()],
        data=tree_data(1500, 502, lon=point(1500, 502, x0=x0).x, lat=point(1500, 502, x0=x0).y),
    )  # fmt: skip
    transition(report=report, action="confirm", by=manager)
    version = PublishedVersionFactory(compact__station=station)
    pledge = PledgeFactory(household=home, version=version, recorded_by=manager)
    pledge.scan.save("sheet.jpg", ContentFile(jpeg()))
    visit = visits.visit_record(household=neighbour, by=manager, outcome="explained", note="")
    area.objects = {
        "district": district, "village": village, "ta": ta, "household": home,
        "line": line, "segment": segment, "assignment": assignment, "report": report,
        "photo": report.photos.get(), "pledge": pledge, "visit": visit,
        "notification": Notification.objects.filter(recipient=villager).first(), "manager": manager,
        "villager": villager,
    }  # fmt: skip
    area.secrets = [
        (home.head_name, scopes.Whose.HOUSEHOLDS, home.pk),
        (home.phone, scopes.Whose.HOUSEHOLDS, home.pk),
        (neighbour.head_name, scopes.Whose.HOUSEHOLDS, neighbour.pk),
        (neighbour.phone, scopes.Whose.HOUSEHOLDS, neighbour.pk),
        (f"护线丙{n}", scopes.Whose.RESPONSIBLE, None),
        (f"1372222{n:04d}", scopes.Whose.RESPONSIBLE, None),
    ]
    return area


@pytest.fixture
def world(settings):
    # The walk writes more than a person would in a minute: the write limit is not its subject.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "writes": "100000/minute",
        },
    }
    s = StationFactory()
    t = StationFactory(county=CountyFactory(code="elsewhere", name="别县"))
    areas = [
        populate(1, DistrictFactory(station=s, boundary=square(0 + 112.80)), s, 112.80),
        populate(2, DistrictFactory(station=s, boundary=square(112.84)), s, 112.84),
        populate(3, DistrictFactory(station=t, boundary=square(112.88)), t, 112.88),
    ]
    compacts = {}
    for station in (s, t):
        compact = CompactFactory(station=station)
        PublishedVersionFactory(compact=compact, number=1)
        draft = CompactVersionFactory(compact=compact, number=2)
        compacts[station.pk] = {
            "compact": compact,
            "version": draft,
            "clause": ClauseFactory(version=draft),
        }
    d1, d2 = areas[0].objects, areas[1].objects
    users = {
        "anonymous": None,
        "villager": d1["villager"],
        "other_villager": d2["villager"],
        "manager": d1["manager"],
        "other_manager": d2["manager"],
        "staff": UserFactory(role=User.Role.STAFF, station=s),
        "leader": UserFactory(role=User.Role.LEADER, county=s.county),
        "admin": UserFactory(role=User.Role.ADMIN, station=s, is_staff=True),
    }
    return areas, compacts, users


_SCHEMA: list[dict] = []


def schema_operations() -> list[tuple[str, str, dict]]:
    """The operations of the live schema, as served (generated once per run: it is slow)."""
    if not _SCHEMA:
        client = Client()
        client.force_login(UserFactory(role=User.Role.STAFF))
        answer = client.get("/api/schema/", HTTP_ACCEPT="application/json")
        assert answer.status_code == 200
        _SCHEMA.append(json.loads(answer.content))
    schema = _SCHEMA[0]
    return [
        (method.upper(), path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


# Which object an {id} of a path names (by the path's first segments).
OBJECT_OF = [
    ("/api/districts/", "district"),
    ("/api/households/", "household"),
    ("/api/lines/", "line"),
    ("/api/segments/", "segment"),
    ("/api/transformer-areas/", "ta"),
    ("/api/villages/", "village"),
    ("/api/patrols/notifications/", "notification"),
    ("/api/patrols/reports/", "report"),
    ("/api/pledges/assignments/", "assignment"),
    ("/api/pledges/pledges/", "pledge"),
    ("/api/pledges/clauses/", "clause"),
    ("/api/pledges/compacts/", "compact"),
    ("/api/pledges/versions/", "version"),
    ("/api/stats/snapshots/", "district"),
    ("/files/report-photo/", "photo"),
    ("/files/pledge-scan/", "pledge"),
]
MISSING_ID = 987_654_321


def object_kind(path: str) -> str | None:
    if "{id}" not in path:
        return None
    return next(kind for prefix, kind in OBJECT_OF if path.startswith(prefix))


def readable(user, kind: str, obj) -> bool:
    """May `user` read `obj`? Asked of the one permissions module (the endpoints must agree)."""
    if user is None:
        return False
    if kind in ("compact", "version", "clause"):
        station = (
            obj.station_id
            if kind == "compact"
            else (obj.compact.station_id if kind == "version" else obj.version.compact.station_id)
        )
        return scopes.station_access(user, station).read
    if kind == "notification":
        return obj.recipient_id == user.pk
    if kind in ("report", "photo"):
        report = obj if kind == "report" else obj.report
        return scopes.authored_access(
            user, district_id=report.district_id, author_id=report.reporter_id
        ).read
    if kind in ("household", "pledge"):
        household = obj if kind == "household" else obj.household
        return scopes.household_access(user, household).read
    from houhu.grid import selectors as grid

    scoped = {
        "line": grid.lines_for,
        "village": grid.villages_for,
        "segment": grid.segments_for,
        "ta": grid.transformer_areas_for,
        "district": grid.districts_visible,
    }
    if kind in scoped:
        return scoped[kind](user).filter(pk=obj.pk).exists()
    return scopes.district_access(user, obj.district_id).read


def forbidden_texts(user, areas) -> set[str]:
    """The seeded names and phones `user` may not see anywhere."""
    readable_districts = (
        set(scopes.districts_for(user).values_list("pk", flat=True)) if user else set()
    )
    out = set()
    for area in areas:
        for text, whose, household_id in area.secrets:
            kind = scopes.whose_household(user, household_id) if household_id else whose
            shown = scopes.personal_data(user, kind)
            in_area = area.district.pk in readable_districts
            if not in_area or shown is not scopes.Shown.FULL:
                out.add(text)
    return out


def url_for(path: str, op: dict, pk: int | None, area: Area) -> str:
    url = path.replace("{id}", str(pk)) if pk is not None else path
    url = url.replace("{task_id}", str(uuid.uuid4()))
    required = {
        p["name"]: p for p in op.get("parameters", []) if p["in"] == "query" and p.get("required")
    }
    query = []
    for name in required:
        value = {"village": area.objects["village"].pk, "id": area.district.pk}.get(name, 1)
        query.append(f"{name}={value}")
    return url + ("?" + "&".join(query) if query else "")


def call(client: Client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, data="{}", content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as_every_role(world, role):
    areas, compacts, users = world
    user = users[role]
    client = Client()
    if user is not None:
        client.force_login(user)
    forbidden = forbidden_texts(user, areas)
    failures, known_5xx, checked_reads, calls = [], [], 0, 0
    operations = schema_operations()
    # Reads first: the writes may end or withdraw what the reads look at.
    operations.sort(key=lambda o: o[0] != "GET")
    for method, path, op in operations:
        kind = object_kind(path)
        targets = []
        for area in areas:
            station = area.district.station_id
            if kind is None:
                targets.append((None, None, area))
                break
            obj = (
                compacts[station][kind]
                if kind in ("compact", "version", "clause")
                else area.objects[kind]
            )
            targets.append((obj.pk, obj, area))
        for pk, obj, area in targets:
            url = url_for(path, op, pk, area)
            answer = call(client, method, url)
            calls += 1
            status = answer.status_code
            where = f"{method} {url} ({role})"
            if status >= 500:
                (known_5xx if (method, path) in ROBUST_5XX else failures).append(
                    f"{where}: {status}"
                )
                continue
            if user is None and path != "/api/auth/token/":
                if status not in (401, 403):
                    failures.append(f"{where}: anonymous got {status}")
                continue
            if role == "leader" and method != "GET" and status < 400:
                failures.append(f"{where}: a leader's write answered {status}")
            if obj is not None and not readable(user, kind, obj):
                if method == "GET" and status not in (403, 404):
                    failures.append(f"{where}: foreign object read, {status}")
                missing = call(client, method, url_for(path, op, MISSING_ID, area)).status_code
                calls += 1
                if status != missing:
                    failures.append(f"{where}: foreign {status} but missing {missing}")
            if method == "GET" and status == 200:
                text = answer.content.decode(errors="replace") if not answer.streaming else ""
                checked_reads += 1
                leaks = {s for s in forbidden if s in text}
                if leaks:
                    failures.append(f"{where}: shows {sorted(leaks)}")
                if "/media/" in text:
                    failures.append(f"{where}: links /media/")
    FIGURES[role] = calls
    print(
        f"\n{role}: {len(operations)} operations, {calls} requests, {checked_reads} reads "
        f"searched for {len(forbidden)} names/phones it may not see"
    )
    assert not failures, "\n".join(failures)
    if known_5xx:
        pytest.xfail("robust branch: " + "; ".join(known_5xx))


def test_the_walk_covers_every_operation_of_the_schema(world):
    operations = schema_operations()
    kinds = {object_kind(path) for _, path, _ in operations}
    assert None in kinds and len(operations) >= 60
    assert all(re.fullmatch(r"[a-z_]+", k) for k in kinds if k)
