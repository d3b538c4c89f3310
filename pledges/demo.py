# ruff: noqa: RUF001 - the compact's text is Chinese, with Chinese punctuation
"""Demo data of the pledges app, a step of the core loader (`houhu.grid.demo`), registered
in PledgesConfig.ready.

Per station, idempotently (each part is skipped if already present):
- the station compact (村规民约) published in 2016, superseded by the 2024 version in force,
  with clauses from the domain brief: protection, the 5 m zone, trees (3 m), no digging,
  RCDs, temporary power, the nine unsafe behaviours (九个不见了) and the motto;
- pledges for ~85 % of households: ~60 % signed 2016 and renewed on 2024 (history kept),
  ~15 % new on 2024, ~10 % still on the 2016 version (due for renewal: the visit list);
  paper with the grid manager as witness, online for households with a villager account;
- a primary line guard for ~80 % of segments, one village-cadre patch per grid;
- front doors derived for every village of every grid, six in seven confirmed, and one
  for every demo villager's household (the nearest stretch within 1 km if none is
  within the usual distance).

Fast: everything is INSERT … SELECT in PostGIS with a seeded md5 for the random choices
(one station: ~20,000 pledge rows, 28,000 events, 1,700 assignments in 3-6 s measured
on this machine, most of it the rows' foreign-key and constraint checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from houhu.accounts.models import User
from houhu.grid.models import Station, Village
from houhu.lib.bulk import analyze

from .models import (
    Assignment,
    Clause,
    Compact,
    CompactVersion,
    CompactVersionEvent,
    HouseholdVisit,
    Pledge,
)
from .responsibility import services

TITLE = "后湖供电所护线村规民约"
MOTTO = "你包片、我包段、家家户户包门前"
CST = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
V2016 = dt.date(2016, 3, 1)
V2024 = dt.date(2024, 1, 1)

CLAUSES_2016 = [
    (
        Clause.Kind.PROTECTION,
        "保护本村10千伏线路和配电设施，防外力破坏；发现隐患及时告知台区经理。",
    ),
    (
        Clause.Kind.NO_BUILD,
        "10千伏架空线路保护区（导线边线向外水平延伸5米）内不新建房屋和其他建筑物。",
    ),
    (Clause.Kind.NO_PLANT, "保护区内不种植可能危及线路安全的高杆树木。"),
    (Clause.Kind.TREE_CLEARING, "配合供电所清理树障，房前屋后影响线路的树木自觉清理。"),
    (Clause.Kind.RCD, "安装户用漏电保护器，不擅自拆除、短接。"),
    (
        Clause.Kind.UNSAFE_BEHAVIOUR,
        "杜绝私拉乱接、线晾衣物、线下建房、线下钓鱼、带电放线、湿手摸电、拉线栓牛、替代保险、电器乱搬。",
    ),
]
CLAUSES_2024 = [
    (
        Clause.Kind.PROTECTION,
        "群防群治：保护本台区10千伏线路和配电设施，防外力破坏；发现隐患、施工、挂钩用电，"
        "及时告知台区经理（号码贴在门板上）。",
    ),
    (
        Clause.Kind.NO_BUILD,
        "10千伏架空线路保护区（导线边线向外水平延伸5米）内不新建房屋、不堆放谷物草料；"
        "密集区与建筑物的水平安全距离不小于1.5米。",
    ),
    (
        Clause.Kind.NO_PLANT,
        "保护区内不种植长成后与导线垂直距离小于3米的树木。",
    ),
    (
        Clause.Kind.NO_DIG,
        "保护区内打桩、钻探、开挖须事先告知供电所；杆塔、拉线基础周围10米内不取土；"
        "线路两侧300米内不放风筝。",
    ),
    (Clause.Kind.TREE_CLEARING, "自清树障：房前屋后、田边地头影响线路的树木自觉修剪、清理。"),
    (
        Clause.Kind.RCD,
        "户用、分支、台区三级漏电保护器全部安装并投运，按月试跳，不擅自拆除、短接。",
    ),
    (
        Clause.Kind.TEMPORARY_POWER,
        "灌溉抽水、建房等临时用电向供电所正式申请，不私拉乱接、不挂钩用电。",
    ),
    (
        Clause.Kind.UNSAFE_BEHAVIOUR,
        "九个不见了：私拉乱接、线晾衣物、线下建房、线下钓鱼、带电放线、湿手摸电、"
        "拉线栓牛、替代保险、电器乱搬。",
    ),
    (
        Clause.Kind.OTHER,
        "你包片、我包段、家家户户包门前：村干部包片，护线员包段，每户看护门前的一段线路。",
    ),
]

# A seeded pseudo-random integer 0..2^31 per text key, computed in PostgreSQL.
_HASH = "('x' || substr(md5({key} || ':' || %(seed)s::text), 1, 8))::bit(32)::int & 2147483647"


def load_demo(*, stations: Iterable[Station], seed: int) -> None:
    for station in stations:
        _load_station(station, seed)


@transaction.atomic
def _load_station(station: Station, seed: int) -> None:
    staff = User.objects.filter(station=station, role=User.Role.STAFF).order_by("username").first()
    v2016, v2024 = _compact(station, staff)
    if not Pledge.objects.filter(household__village__station=station).exists():
        _pledges(station, seed, v2016, v2024)
    if not Assignment.objects.filter(district__station=station).exists():
        _assignments(station, seed, staff)
    if not HouseholdVisit.objects.filter(household__village__station=station).exists():
        _visits(station, seed)


def _compact(station: Station, staff: User | None) -> tuple[CompactVersion, CompactVersion]:
    compact, created = Compact.objects.get_or_create(
        station=station,
        title=TITLE,
        scope=Compact.Scope.STATION,
        defaults={"motto": MOTTO, "created_by": staff},
    )
    if not created:
        versions = {v.number: v for v in compact.versions.all()}
        return versions[1], versions[2]
    published_2016 = dt.datetime(2016, 2, 20, 9, tzinfo=CST)
    published_2024 = dt.datetime(2023, 12, 20, 9, tzinfo=CST)
    v1 = CompactVersion.objects.create(
        compact=compact,
        number=1,
        status=CompactVersion.Status.SUPERSEDED,
        effective_from=V2016,
        published_at=published_2016,
        published_by=staff,
        superseded_at=published_2024,
        created_by=staff,
        change_note="首版：2016年起村民与供电所签订护线公约。",
    )
    v2 = CompactVersion.objects.create(
        compact=compact,
        number=2,
        status=CompactVersion.Status.PUBLISHED,
        effective_from=V2024,
        published_at=published_2024,
        published_by=staff,
        created_by=staff,
        change_note="增加临时用电、禁止挖掘和三级漏电保护条款，写入“你包片、我包段、家家户户包门前”。",
    )
    Clause.objects.bulk_create(
        [Clause(version=v1, number=n, kind=k, text=t) for n, (k, t) in enumerate(CLAUSES_2016, 1)]
        + [Clause(version=v2, number=n, kind=k, text=t) for n, (k, t) in enumerate(CLAUSES_2024, 1)]
    )
    CompactVersionEvent.objects.bulk_create(
        [
            CompactVersionEvent(version=v1, by=staff, from_status="draft", to_status="published"),
            CompactVersionEvent(
                version=v1, by=staff, from_status="published", to_status="superseded"
            ),
            CompactVersionEvent(version=v2, by=staff, from_status="draft", to_status="published"),
        ]
    )
    return v1, v2


# Buckets of h (0..99) per household: <60 renewed 2016→2024, <75 new on 2024, <85 still on
# 2016 (due for renewal), the rest unsigned. The first villager account (the demo's phone
# login) is kept on 2016 so that the renewal reminder shows on their home page.
_PLEDGE_SQL = """
WITH hh AS (
    SELECT h.id, h.head_name, d.manager_id, COALESCE(mu.display_name, '台区经理') AS witness,
           acc.id AS account_id, acc.username AS account_username,
           ({h_bucket}) %% 100 AS bucket, ({h_days}) AS r
    FROM grid_household h
    JOIN grid_village v ON v.id = h.village_id
    JOIN grid_transformerarea ta ON ta.id = h.transformer_area_id
    JOIN grid_district d ON d.id = ta.district_id
    LEFT JOIN accounts_user mu ON mu.id = d.manager_id
    LEFT JOIN LATERAL (
        SELECT u.id, u.username FROM accounts_user u
        WHERE u.household_id = h.id AND u.role = 'villager' ORDER BY u.id LIMIT 1
    ) acc ON true
    WHERE v.station_id = %(station)s AND h.is_active
), plan AS (
    SELECT hh.*,
           CASE WHEN account_username LIKE '%%000001' THEN 80 ELSE bucket END AS b,
           COALESCE(manager_id, %(staff)s) AS recorder
    FROM hh
), old AS (
    INSERT INTO pledges_pledge (household_id, version_id, status, method, signed_at,
        signatory_name, witness_name, scan, signed_by_id, recorded_by_id, previous_id,
        ended_at, created_at)
    SELECT id, %(v1)s,
           CASE WHEN b < 60 THEN 'renewed' ELSE 'active' END,
           'paper',
           %(t2016)s::timestamptz + make_interval(days => r %% 700),
           head_name, witness, '', NULL, recorder, NULL,
           CASE WHEN b < 60 THEN %(now)s::timestamptz - make_interval(days => r %% 540) END,
           %(now)s
    FROM plan WHERE b < 60 OR (b >= 75 AND b < 85)
    RETURNING id, household_id, status
)
INSERT INTO pledges_pledge (household_id, version_id, status, method, signed_at,
    signatory_name, witness_name, scan, signed_by_id, recorded_by_id, previous_id, ended_at,
    created_at)
SELECT p.id, %(v2)s, 'active',
       CASE WHEN p.account_id IS NOT NULL AND p.r %% 3 > 0 THEN 'online' ELSE 'paper' END,
       %(now)s::timestamptz - make_interval(days => p.r %% 540),
       p.head_name,
       CASE WHEN p.account_id IS NOT NULL AND p.r %% 3 > 0 THEN '' ELSE p.witness END,
       '',
       CASE WHEN p.account_id IS NOT NULL AND p.r %% 3 > 0 THEN p.account_id END,
       CASE WHEN p.account_id IS NOT NULL AND p.r %% 3 > 0 THEN NULL ELSE p.recorder END,
       o.id, NULL, %(now)s
FROM plan p LEFT JOIN old o ON o.household_id = p.id AND o.status = 'renewed'
WHERE p.b < 75
"""

_PLEDGE_EVENTS_SQL = """
INSERT INTO pledges_pledgeevent (pledge_id, at, by_id, from_status, to_status, note)
SELECT p.id, p.signed_at, COALESCE(p.signed_by_id, p.recorded_by_id), '', 'active', p.method
FROM pledges_pledge p JOIN grid_household h ON h.id = p.household_id
JOIN grid_village v ON v.id = h.village_id
WHERE v.station_id = %(station)s
UNION ALL
SELECT p.id, p.ended_at, p.recorded_by_id, 'active', 'renewed', '2024'
FROM pledges_pledge p JOIN grid_household h ON h.id = p.household_id
JOIN grid_village v ON v.id = h.village_id
WHERE v.station_id = %(station)s AND p.status = 'renewed'
"""


def _pledges(station: Station, seed: int, v1: CompactVersion, v2: CompactVersion) -> None:
    staff_id = (
        User.objects.filter(station=station, role=User.Role.STAFF)
        .order_by("username")
        .values_list("pk", flat=True)
        .first()
    )
    sql = _PLEDGE_SQL.format(
        h_bucket=_HASH.format(key="h.customer_number"),
        h_days=_HASH.format(key="'d' || h.customer_number"),
    )
    params = {
        "seed": seed,
        "station": station.pk,
        "staff": staff_id,
        "v1": v1.pk,
        "v2": v2.pk,
        "t2016": dt.datetime(2016, 3, 1, 12, tzinfo=CST),
        "now": timezone.now(),
    }
    with connection.cursor() as cur:
        cur.execute(sql, params)
    analyze(Pledge)
    with connection.cursor() as cur:
        cur.execute(_PLEDGE_EVENTS_SQL, {"station": station.pk})


# The grid managers' visits of the last three months: a quarter of the households due for
# renewal or unsigned (buckets 75..99 of _PLEDGE_SQL), one visit each.
_VISITS_SQL = """
INSERT INTO pledges_householdvisit (household_id, visited_on, visited_by_id, outcome, note,
    recorded_at)
SELECT h.id, %(today)s::date - (({h_days}) %% 85),
       d.manager_id,
       (ARRAY['explained', 'nobody_home', 'declined', 'explained'])[1 + (({h_days}) / 7) %% 4],
       '', %(now)s
FROM grid_household h
JOIN grid_village v ON v.id = h.village_id
JOIN grid_transformerarea ta ON ta.id = h.transformer_area_id
JOIN grid_district d ON d.id = ta.district_id
WHERE v.station_id = %(station)s AND h.is_active AND d.manager_id IS NOT NULL
  AND ({h_bucket}) %% 100 >= 75 AND ({h_days}) %% 4 = 0
ON CONFLICT DO NOTHING
"""


def _visits(station: Station, seed: int) -> None:
    sql = _VISITS_SQL.format(
        h_bucket=_HASH.format(key="h.customer_number"),
        h_days=_HASH.format(key="'d' || h.customer_number"),
    )
    params = {
        "seed": seed,
        "station": station.pk,
        "today": timezone.localdate(),
        "now": timezone.now(),
    }
    with connection.cursor() as cur:
        cur.execute(sql, params)


_SEGMENT_GUARDS_SQL = """
WITH s AS (
    SELECT s.id, s.district_id, ({s_hash}) AS r
    FROM grid_segment s JOIN grid_district d ON d.id = s.district_id
    WHERE d.station_id = %(station)s
), ins AS (
    INSERT INTO pledges_assignment (scope, district_id, village_id, user_id, person_name,
        person_phone, segment_id, household_id, patch, valid_from, valid_until, is_primary,
        front_door_state, distance_m, note, cancelled_at, created_at, created_by_id)
    SELECT 'segment', district_id, NULL, NULL,
           (%(surnames)s::text[])[1 + r %% 40] || (%(given)s::text[])[1 + (r / 40) %% 20],
           '137' || lpad((r %% 100000000)::text, 8, '0'),
           id, NULL, NULL, %(from)s, NULL, true, NULL, NULL, '护线员', NULL, %(now)s, %(staff)s
    FROM s WHERE r %% 100 < 80
    RETURNING id
)
INSERT INTO pledges_assignmentevent (assignment_id, at, by_id, action, from_state, to_state,
    note)
SELECT id, %(now)s, %(staff)s, 'assigned', '', '', 'demo' FROM ins
"""

_PATCHES_SQL = """
WITH ins AS (
    INSERT INTO pledges_assignment (scope, district_id, village_id, user_id, person_name,
        person_phone, segment_id, household_id, patch, valid_from, valid_until, is_primary,
        front_door_state, distance_m, note, cancelled_at, created_at, created_by_id)
    SELECT 'patch', d.id, NULL, NULL, '村干部' || d.name, '', NULL, NULL,
           ST_Buffer(ST_PointOnSurface(d.boundary)::geography, 1200)::geometry,
           %(from)s, NULL, true, NULL, NULL, '你包片', NULL, %(now)s, %(staff)s
    FROM grid_district d WHERE d.station_id = %(station)s
    RETURNING id
)
INSERT INTO pledges_assignmentevent (assignment_id, at, by_id, action, from_state, to_state,
    note)
SELECT id, %(now)s, %(staff)s, 'assigned', '', '', 'demo' FROM ins
"""


def _assignments(station: Station, seed: int, staff: User | None) -> None:
    from houhu.grid.demo import GIVEN_CHARS, SURNAMES

    params = {
        "seed": seed,
        "station": station.pk,
        "staff": staff.pk if staff else None,
        "from": V2024,
        "now": timezone.now(),
        "surnames": list(SURNAMES[:40]),
        "given": [GIVEN_CHARS[i : i + 2] for i in range(0, 40, 2)],
    }
    with connection.cursor() as cur:
        cur.execute(_SEGMENT_GUARDS_SQL.format(s_hash=_HASH.format(key="s.code")), params)
        cur.execute(_PATCHES_SQL, params)
    analyze(Assignment)
    if staff is None:
        return
    # 家家户户包门前 in every grid: each village's front doors proposed (the nearest segment
    # within PLEDGES_FRONT_DOOR_MAX_DISTANCE_M), as staff do from the assignment map.
    for village in Village.objects.filter(station=station).order_by("code"):
        services.derive_front_doors(village=village, by=staff)
    # Every demo villager answers for something, so their "my responsibility" page is never
    # empty: a household further than that from any line takes the stretch nearest to it
    # (within the search limit), as a grid manager would assign it by hand.
    villager_households = list(
        User.objects.filter(role=User.Role.VILLAGER, household__village__station=station)
        .values_list("household_id", "household__village_id")
        .order_by("household_id")
    )
    with_door = set(
        Assignment.objects.filter(
            scope=Assignment.Scope.FRONT_DOOR,
            household_id__in=[h for h, _v in villager_households],
        ).values_list("household_id", flat=True)
    )
    for household_id, village_id in villager_households:
        if household_id not in with_door:
            services.derive_front_doors(
                village=Village.objects.get(pk=village_id),
                by=staff,
                max_distance_m=services.FRONT_DOOR_SEARCH_LIMIT_M,
                household_ids=[household_id],
            )
    # Most proposed front doors were checked on site by the grid managers (six in seven,
    # the villagers' own among them); the rest still wait in every grid.
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH conf AS (
                UPDATE pledges_assignment a SET front_door_state = 'confirmed'
                WHERE a.scope = 'front_door' AND a.front_door_state = 'proposed'
                  AND a.district_id IN (SELECT id FROM grid_district WHERE station_id = %(s)s)
                  AND (a.household_id %% 7 <> 0 OR a.household_id = ANY(%(villagers)s))
                RETURNING a.id
            )
            INSERT INTO pledges_assignmentevent (assignment_id, at, by_id, action,
                from_state, to_state, note)
            SELECT id, %(now)s, %(staff)s, 'confirmed', 'proposed', 'confirmed', 'demo'
            FROM conf
            """,
            {
                "s": station.pk,
                "now": timezone.now(),
                "staff": staff.pk,
                "villagers": [h for h, _v in villager_households],
            },
        )


def register() -> None:
    """Called by PledgesConfig.ready: run this step after the core data (and the steps of the apps
    listed before this one in INSTALLED_APPS)."""
    from houhu.grid import demo as core

    core.register_step("pledges.demo", load_demo)
