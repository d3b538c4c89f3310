"""Deterministic demo data of real size: the Houhu station (后湖供电所) and, for benchmarks,
shifted copies of it in the same county.

Two steps per station, so that benchmarks and tests can call either:

- `plan_station(index, seed)` is pure: a seeded `random.Random` and plain geometry, no
  database. The same (index, seed) always gives the same plan.
- `write_station(plan, county, password_hash)` bulk-creates the plan in one transaction.

`load_demo(scale, seed)` does both for stations 1..scale, skipping stations that already
exist (codes are deterministic), then runs the demo steps the other apps registered
(`register_step`, from their AppConfig.ready: this module never imports them).

Geometry is generated in a local planar frame in metres around the station's centre (a
few tens of kilometres: the equirectangular error is far below what a demo needs) and
converted to WGS-84 degrees rounded to 7 decimals (~1 cm). The rounding matters: two
neighbouring grids computed separately then share bit-identical vertices, so they tile
without slivers. Every containment the tests check in PostGIS (household in its grid and
transformer area, segment vertices in their grid) holds by construction on the rounded
coordinates that are stored: by GEOS checks (the library and predicates PostGIS uses) or
by a margin wider than the rounding.

The numbers (13,700 households, 1,811 aquaculture, 157 transformer areas, 7 grids,
22 staff) are the station's own, from ../shared/domain.md.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import LineString, Point, Polygon
from django.db import connection, transaction

from houhu.accounts import reader_cache
from houhu.accounts.models import User
from houhu.lib.bulk import analyze

from .models import County, District, Household, Line, Segment, Station, TransformerArea, Village

XY = tuple[float, float]

# --- The station's facts -----------------------------------------------------------------
HOUSEHOLDS = 13_700
AQUACULTURE_HOUSEHOLDS = 1_811
TRANSFORMER_AREAS = 157
DISTRICT_NAMES = (
    "第一网格",
    "第二网格",
    "第三网格",
    "第四网格",
    "第五网格",
    "第六网格",
    "第七网格",
)
MANAGERS = len(DISTRICT_NAMES)
STAFF = 15  # 7 managers + 15 staff = the station's 22 employees
VILLAGER_ACCOUNTS = 30
# Every demo account's password, documented in README.md and docs/demo-data.md.
PASSWORD = "houhu2016"  # noqa: S105 - demo accounts only
DEFAULT_SEED = 2016  # the year the village compact was first signed

COUNTY_CODE, COUNTY_NAME = "qianjiang", "潜江市"
# The other apps' demo steps, `load(stations=..., seed=...)`, registered by their
# AppConfig.ready and so run in INSTALLED_APPS order (pledges, patrols, stats): each step
# may rely on the data of the steps before it.
STEPS: list[tuple[str, Callable[..., object]]] = []


def register_step(name: str, load: Callable[..., object]) -> None:
    """Run `load(stations=..., seed=...)` after the core data (once per name)."""
    if name not in {n for n, _ in STEPS}:
        STEPS.append((name, load))


# --- Where the stations lie --------------------------------------------------------------
# Station 1 fills roughly 30.35-30.55 N, 112.65-112.95 E; further stations (benchmarks)
# are same-sized copies on a 5-wide grid to the east and south.
ORIGIN_LON, ORIGIN_LAT = 112.80, 30.45
SHIFT_LON, SHIFT_LAT, STATIONS_PER_ROW = 0.32, -0.22, 5
HALF_WIDTH_M, HALF_HEIGHT_M = 13_000.0, 10_000.0
M_PER_DEG_LAT = 110_900.0  # at 30.45 N, as in tests/factories.py
DECIMALS = 7

OFFICE_CENTRE = "后湖办事处"
OFFICE_GUANMIAO = "关庙办事处"
OFFICE_TIANXINCHANG = "天心场办事处"
# District index -> office. Grid 1 is the market town in the middle of the station.
DISTRICT_OFFICES = (OFFICE_CENTRE,) + (OFFICE_GUANMIAO,) * 3 + (OFFICE_TIANXINCHANG,) * 3
ZHANGJIAYAO = "张家窑分场村"
ZHANGJIAYAO_DISTRICT = 2
TAS_PER_VILLAGE = 5
FEEDERS_PER_GRID = 4
SEGMENT_M = (300.0, 650.0)  # a stretch between section poles/switches

VILLAGE_NAMES = (
    "新河村", "丰收村", "莲湖村", "胜利村", "红星村", "永兴村", "荷花村", "金湾村", "三湖村",
    "青年村", "先锋村", "光明村", "东风村", "幸福村", "长湖村", "白鹭湖村", "五一村", "建新村",
    "和平村", "联合村", "团结村", "桃园村", "柳港村", "张湾村", "李台村", "王场村", "周家台村",
    "黄家垸村", "刘家嘴村", "陈家湾村", "杨林村", "文家墩村", "严家湖村", "渔洋分场村",
    "三合分场村", "八一分场村", "向阳分场村", "红旗分场村", "关庙村", "天心村",
)  # fmt: skip
SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙朱胡郭何高罗郑梁谢宋唐许邓冯韩曹彭曾肖田董潘袁蔡蒋余杜叶程魏"
    "苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金贾夏付方邹熊孟秦邱侯江尹雷龙黎史陶贺毛龚万向易文"
)
GIVEN_CHARS = (
    "建国华明军平红英芳兰文志伟强勇春秋林海云德福贵清兵成刚辉金玉秀凤桂梅珍涛波斌新忠学宏"
    "松荣发财生中庆祥俊杰超丽娟敏静艳霞兴旺家顺安"
)
# Mobile prefixes for household phones. 139 and 199 are kept out: 139 numbers go to the
# households with villager accounts (13900000001, ...), 199 numbers to station staff.
PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "177", "180", "181", "186", "187", "188", "189",
)  # fmt: skip
CAPACITIES_KVA = (100, 200, 200, 315, 315, 400, 630)
CN_DIGITS = "零一二三四五六七八九"


# --- Plan: plain data, no database --------------------------------------------------------
@dataclass
class DistrictPlan:
    code: str
    name: str
    ring: list[XY]  # closed, lon/lat


@dataclass
class VillagePlan:
    code: str
    name: str
    office: str
    district: int
    centre: XY


@dataclass
class TransformerAreaPlan:
    code: str
    name: str
    district: int
    village: int
    capacity_kva: int
    transformer: XY
    ring: list[XY] | None
    # Planning only, in local metres: the transformer, its area (a convex cell inside the
    # grid's) and the bearing of the feeder it hangs off.
    site: XY = field(default=(0.0, 0.0), repr=False)
    cell: list[XY] = field(default_factory=list, repr=False)
    heading: float = field(default=0.0, repr=False)


@dataclass
class HouseholdPlan:
    customer_number: str
    head_name: str
    phone: str
    address: str
    location: XY
    village: int
    transformer_area: int
    is_aquaculture: bool


@dataclass
class SegmentPlan:
    seq: int
    code: str
    district: int
    transformer_area: int
    vertices: list[XY]


@dataclass
class LinePlan:
    code: str
    name: str
    vertices: list[XY]
    segments: list[SegmentPlan] = field(default_factory=list)


@dataclass
class AccountPlan:
    username: str
    display_name: str
    role: str
    phone: str | None = None
    district: int | None = None  # the grid a manager manages
    household: int | None = None  # a villager's household (index into households)


@dataclass
class StationPlan:
    index: int
    code: str
    name: str
    districts: list[DistrictPlan]
    villages: list[VillagePlan]
    transformer_areas: list[TransformerAreaPlan]
    households: list[HouseholdPlan]
    lines: list[LinePlan]
    accounts: list[AccountPlan]


def station_code(index: int) -> str:
    """houhu, houhu-02, houhu-03, ... (1-based)."""
    return "houhu" if index == 1 else f"houhu-{index:02d}"


def station_name(index: int) -> str:
    return "后湖供电所" if index == 1 else f"后湖供电所{index:02d}"


# --- Planar geometry in metres -----------------------------------------------------------
@dataclass(frozen=True)
class Frame:
    """A station's local frame: metres east/north of its centre <-> rounded lon/lat."""

    lon0: float
    lat0: float

    @property
    def m_per_deg_lon(self) -> float:
        return 111_320.0 * math.cos(math.radians(self.lat0))

    def lonlat(self, p: XY) -> XY:
        return (
            round(self.lon0 + p[0] / self.m_per_deg_lon, DECIMALS),
            round(self.lat0 + p[1] / M_PER_DEG_LAT, DECIMALS),
        )

    def ring(self, poly: Sequence[XY]) -> list[XY] | None:
        """A closed lon/lat ring, or None if rounding collapsed it."""
        out: list[XY] = []
        for p in map(self.lonlat, poly):
            if not out or out[-1] != p:
                out.append(p)
        while len(out) > 1 and out[0] == out[-1]:
            out.pop()
        return [*out, out[0]] if len(out) >= 3 else None


def frame_for(index: int) -> Frame:
    row, col = divmod(index - 1, STATIONS_PER_ROW)
    return Frame(ORIGIN_LON + col * SHIFT_LON, ORIGIN_LAT + row * SHIFT_LAT)


def convex_hull(points: Iterable[XY]) -> list[XY]:
    """Counter-clockwise hull (Andrew's monotone chain), without the closing point."""
    pts = sorted(set(points))

    def half(seq: Iterable[XY]) -> list[XY]:
        chain: list[XY] = []
        for p in seq:
            while len(chain) >= 2 and _cross(chain[-2], chain[-1], p) <= 0:
                chain.pop()
            chain.append(p)
        return chain

    lower, upper = half(pts), half(reversed(pts))
    return lower[:-1] + upper[:-1]


def _cross(o: XY, a: XY, b: XY) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def clip_closer_to(poly: list[XY], site: XY, other: XY) -> list[XY]:
    """The part of a convex polygon closer to `site` than to `other` (one Voronoi cut)."""
    nx, ny = other[0] - site[0], other[1] - site[1]
    mx, my = (site[0] + other[0]) / 2, (site[1] + other[1]) / 2

    def side(p: XY) -> float:  # < 0: on the site's side of the bisector
        return (p[0] - mx) * nx + (p[1] - my) * ny

    out: list[XY] = []
    for i, p in enumerate(poly):
        q = poly[(i + 1) % len(poly)]
        sp, sq = side(p), side(q)
        if sp <= 0:
            out.append(p)
        if (sp < 0 < sq) or (sq < 0 < sp):
            t = sp / (sp - sq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def inset(poly: list[XY], margin: float) -> list[XY]:
    """A counter-clockwise convex polygon shrunk by `margin` metres (each edge moved in)."""
    out = poly
    for i, a in enumerate(poly):
        b = poly[(i + 1) % len(poly)]
        length = math.dist(a, b)
        if not length or not out:
            continue
        nx, ny = -(b[1] - a[1]) / length, (b[0] - a[0]) / length  # inward normal

        def depth(p: XY, a: XY = a, nx: float = nx, ny: float = ny) -> float:
            return (p[0] - a[0]) * nx + (p[1] - a[1]) * ny - margin

        clipped: list[XY] = []
        for j, p in enumerate(out):
            q = out[(j + 1) % len(out)]
            dp, dq = depth(p), depth(q)
            if dp >= 0:
                clipped.append(p)
            if (dp < 0 < dq) or (dq < 0 < dp):
                t = dp / (dp - dq)
                clipped.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
        out = clipped
    return out


def voronoi_cells(sites: Sequence[XY], hull: list[XY]) -> list[list[XY]]:
    """Each site's Voronoi cell clipped to a convex hull: convex cells that tile the hull."""
    cells = []
    for i, site in enumerate(sites):
        cell = hull
        for j, other in enumerate(sites):
            if i != j and cell:
                cell = clip_closer_to(cell, site, other)
        cells.append(cell)
    return cells


def inside_convex(poly: Sequence[XY], p: XY, margin: float = 0.0) -> bool:
    """Is p inside a counter-clockwise convex polygon, at least `margin` metres from its edges?"""
    for i, a in enumerate(poly):
        b = poly[(i + 1) % len(poly)]
        edge = math.dist(a, b)
        if edge and _cross(a, b, p) / edge < margin:
            return False
    return True


def random_point_in(rng: random.Random, poly: Sequence[XY], margin: float = 0.0) -> XY:
    xs, ys = [p[0] for p in poly], [p[1] for p in poly]
    for _ in range(10_000):
        p = (rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys)))
        if inside_convex(poly, p, margin):
            return p
    raise ValueError("polygon too small for the margin")


def centroid(points: Sequence[XY]) -> XY:
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def polyline_length(vertices: Sequence[XY]) -> float:
    return sum(math.dist(a, b) for a, b in itertools.pairwise(vertices))


def largest_remainder(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split `total` in proportion to `weights`, each share at least `minimum`, summing exactly."""
    rest = total - minimum * len(weights)
    raw = [rest * w / sum(weights) for w in weights]
    shares = [math.floor(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (shares[i] - raw[i], i))
    for i in by_remainder[: rest - sum(shares)]:
        shares[i] += 1
    return [s + minimum for s in shares]


# --- The station's layout -----------------------------------------------------------------
def station_hull(rng: random.Random) -> list[XY]:
    """A convex, slightly irregular oval about 26 x 20 km."""
    points = []
    for k in range(28):
        a = 2 * math.pi * k / 28 + rng.uniform(-0.08, 0.08)
        r = rng.uniform(0.86, 1.0)
        points.append((HALF_WIDTH_M * r * math.cos(a), HALF_HEIGHT_M * r * math.sin(a)))
    return convex_hull(points)


def district_sites(rng: random.Random) -> list[XY]:
    """One site in the market town, six around it: the grids are their Voronoi cells."""
    sites = [(rng.uniform(-800, 800), rng.uniform(-600, 600))]
    turn = rng.uniform(0, math.tau)
    for k in range(len(DISTRICT_NAMES) - 1):
        a = turn + k * math.tau / 6 + rng.uniform(-0.2, 0.2)
        r = rng.uniform(0.55, 0.68)
        sites.append((HALF_WIDTH_M * r * math.cos(a), HALF_HEIGHT_M * r * math.sin(a)))
    return sites


def walk(
    rng: random.Random, start: XY, target: XY, hull: list[XY], margin: float = 400.0
) -> list[XY]:
    """A feeder's route: steps of 150-250 m towards a target, wandering like the roads and
    dikes it follows, never leaving the station (minus a margin)."""
    path, p, drift = [start], start, 0.0
    for _ in range(400):
        if math.dist(p, target) < 250:
            break
        drift = max(-0.6, min(0.6, 0.75 * drift + rng.gauss(0, 0.22)))
        step = rng.uniform(150, 250)
        heading = math.atan2(target[1] - p[1], target[0] - p[0])
        for turn in (drift, drift / 2, 0.0):
            q = (p[0] + step * math.cos(heading + turn), p[1] + step * math.sin(heading + turn))
            if inside_convex(hull, q, margin):
                break
        else:
            break
        path.append(q)
        p = q
    return path


def far_point(
    rng: random.Random, cell: list[XY], away_from: Sequence[XY], margin: float, tries: int = 12
) -> XY:
    """Of a few random points in the cell, the one farthest from the given points."""
    candidates = [random_point_in(rng, cell, margin) for _ in range(tries)]
    return max(candidates, key=lambda c: min(math.dist(c, a) for a in away_from))


def feeder_routes(
    rng: random.Random, hull: list[XY], cells: list[list[XY]], substation: XY
) -> list[list[XY]]:
    """Four feeders per grid: a trunk from the substation into the grid, three branches
    leaving the trunk for the far parts of the grid."""
    routes: list[list[XY]] = []
    for cell in cells:
        trunk = walk(rng, substation, far_point(rng, cell, [substation], 1500), hull)
        routes.append(trunk)
        in_cell = [p for p in trunk if inside_convex(cell, p)] or trunk
        for _ in range(FEEDERS_PER_GRID - 1):
            start = in_cell[rng.randrange(len(in_cell) // 3, len(in_cell))]
            existing = [p for route in routes for p in route[::4]]
            target = far_point(rng, cell, [*existing, start], 800)
            branch = walk(rng, start, target, hull)
            if len(branch) >= 2:
                routes.append(branch)
    return routes


# --- Cutting a feeder at grid boundaries ---------------------------------------------------
class Grids:
    """The station's grids as prepared GEOS polygons, in stored (rounded) coordinates."""

    def __init__(self, rings: Sequence[list[XY]]):
        self.polygons = [Polygon(ring, srid=4326) for ring in rings]
        for i, polygon in enumerate(self.polygons):
            if not polygon.valid:
                raise ValueError(f"grid {i + 1} is invalid: {polygon.valid_reason}")
        self.prepared = [polygon.prepared for polygon in self.polygons]

    def containing(self, p: XY) -> int | None:
        point = Point(p, srid=4326)
        for i, prepared in enumerate(self.prepared):
            if prepared.contains(point):
                return i
        return None


def _at(a: XY, b: XY, t: float) -> XY:
    return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))


def split_by_grid(vertices: Sequence[XY], grids: Grids) -> list[tuple[int, list[XY]]]:
    """Cut a route (lon/lat) into runs that each lie in one grid.

    Grids are convex, so a run whose vertices are all strictly inside a grid lies inside
    it. Where an edge leaves a grid, bisection finds the crossing to ~1e-15 degrees: the
    run ends on the last point still inside, the next run starts on the first point
    inside the next grid (nanometres apart: the line stays continuous for any purpose).
    """
    runs: list[tuple[int, list[XY]]] = []
    current = grids.containing(vertices[0])
    run: list[XY] = [vertices[0]] if current is not None else []
    for a, b in itertools.pairwise(vertices):
        lo = 0.0
        while True:
            grid_b = grids.containing(b)
            if current is not None and grid_b == current:
                run.append(b)
                break
            # Find the last t in [lo, 1] still in `current` (or the first in any grid).
            if current is not None:
                lo_t, hi_t = lo, 1.0
                for _ in range(64):
                    mid = (lo_t + hi_t) / 2
                    if mid in (lo_t, hi_t):
                        break
                    if grids.containing(_at(a, b, mid)) == current:
                        lo_t = mid
                    else:
                        hi_t = mid
                if lo_t > lo:  # else the run already ends at that point
                    run.append(_at(a, b, lo_t))
                runs.append((current, run))
                lo = hi_t
            # Step forward from `lo` until a point is inside some grid.
            step, nxt = 1e-12, None
            while lo + step < 1.0:
                nxt = grids.containing(_at(a, b, lo + step))
                if nxt is not None:
                    break
                step *= 2
            if nxt is None:  # the rest of the edge is outside every grid
                current, run = None, []
                break
            lo += step
            current, run = nxt, [_at(a, b, lo)]
    if current is not None:
        runs.append((current, run))
    return [(g, r) for g, r in runs if len(r) >= 2 and polyline_length(r) > 1e-5]


def chunk(run: list[XY], rng: random.Random, frame: Frame) -> list[list[XY]]:
    """Cut a run into stretches of about 300-650 m at its vertices (poles, switches)."""
    scale = (frame.m_per_deg_lon, M_PER_DEG_LAT)

    def metres(a: XY, b: XY) -> float:
        return math.hypot((b[0] - a[0]) * scale[0], (b[1] - a[1]) * scale[1])

    pieces, current, length = [], [run[0]], 0.0
    target = rng.uniform(*SEGMENT_M)
    for a, b in itertools.pairwise(run):
        current.append(b)
        length += metres(a, b)
        if length >= target:
            pieces.append(current)
            current, length, target = [b], 0.0, rng.uniform(*SEGMENT_M)
    if len(current) >= 2:
        if pieces and length < SEGMENT_M[0] / 2:
            pieces[-1].extend(current[1:])
        else:
            pieces.append(current)
    return pieces


# --- Names ---------------------------------------------------------------------------------
def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals: 一, 十, 十一, 二十一."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_DIGITS[ones]
    head = "" if tens == 1 else CN_DIGITS[tens]
    return head + "十" + (CN_DIGITS[ones] if ones else "")


def person_name(rng: random.Random, surnames: Sequence[str] = SURNAMES) -> str:
    given = "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2, 2))))
    return rng.choice(surnames) + given


# --- The plan --------------------------------------------------------------------------------
def plan_station(index: int, seed: int = DEFAULT_SEED) -> StationPlan:
    """The whole of station `index` (1-based), deterministically from (index, seed)."""
    # Reproducible demo data, not secrets: a seeded PRNG is the point.
    rng = random.Random(f"houhu-demo:{seed}:{index}")  # noqa: S311
    frame, code = frame_for(index), station_code(index)

    hull = station_hull(rng)
    sites = district_sites(rng)
    cells = voronoi_cells(sites, hull)
    rings = [ring for cell in cells if (ring := frame.ring(cell))]
    if len(rings) != len(DISTRICT_NAMES):
        raise ValueError("a grid collapsed")
    grids = Grids(rings)
    districts = [
        DistrictPlan(code=f"{code}-g{i + 1}", name=name, ring=ring)
        for i, (name, ring) in enumerate(zip(DISTRICT_NAMES, rings, strict=True))
    ]

    substation = (sites[0][0] + rng.uniform(-400, 400), sites[0][1] + rng.uniform(-400, 400))
    routes = feeder_routes(rng, hull, cells, substation)
    tas = plan_transformer_areas(rng, frame, code, cells, routes, grids)
    villages = plan_villages(rng, frame, code, cells, tas)
    lines = plan_lines(rng, frame, index, routes, grids, tas)
    households = plan_households(rng, frame, index, tas, villages)
    accounts = plan_accounts(rng, index, households, tas, villages)
    return StationPlan(
        index=index,
        code=code,
        name=station_name(index),
        districts=districts,
        villages=villages,
        transformer_areas=tas,
        households=households,
        lines=lines,
        accounts=accounts,
    )


def plan_transformer_areas(
    rng: random.Random,
    frame: Frame,
    code: str,
    cells: list[list[XY]],
    routes: list[list[XY]],
    grids: Grids,
) -> list[TransformerAreaPlan]:
    """157 transformers hung off the feeders (each within ~60 m of a 10 kV line), shared
    among the grids by feeder length; each area is the transformer's Voronoi cell in its
    grid, so the areas tile the grid."""
    edges_by_cell: list[list[tuple[XY, XY]]] = [[] for _ in cells]
    for route in routes:
        for a, b in itertools.pairwise(route):
            mid = _at(a, b, 0.5)
            for d, cell in enumerate(cells):
                if inside_convex(cell, mid, 150):
                    edges_by_cell[d].append((a, b))
                    break
    lengths = [sum(math.dist(a, b) for a, b in edges) or 1.0 for edges in edges_by_cell]
    counts = largest_remainder(TRANSFORMER_AREAS, lengths, minimum=12)

    plans: list[TransformerAreaPlan] = []
    headings: list[float] = []
    for d, (cell, edges, count) in enumerate(zip(cells, edges_by_cell, counts, strict=True)):
        spots: list[XY] = []
        spacing, failures = 900.0, 0
        weights = [math.dist(a, b) for a, b in edges]
        while len(spots) < count:
            if edges:
                a, b = rng.choices(edges, weights)[0]
                heading = math.atan2(b[1] - a[1], b[0] - a[0])
                base = _at(a, b, rng.random())
                off = rng.choice((-1, 1)) * rng.uniform(15, 60)
                p = (base[0] - off * math.sin(heading), base[1] + off * math.cos(heading))
            else:  # a grid no feeder reached: transformers anywhere in it
                heading, p = rng.uniform(0, math.pi), random_point_in(rng, cell, 200)
            ok = (
                inside_convex(cell, p, 200)
                and all(math.dist(p, s) >= spacing for s in spots)
                and grids.containing(frame.lonlat(p)) == d
            )
            if ok:
                spots.append(p)
                headings.append(heading)
                failures = 0
            else:
                failures += 1
                if failures > 40:
                    spacing, failures = spacing * 0.85, 0
        # 5 cm in from the grid's edge: after rounding to ~1 cm every area is still
        # strictly within its grid (adjacent areas share their edges exactly).
        areas = voronoi_cells(spots, inset(cell, 0.05))
        for spot, area in zip(spots, areas, strict=True):
            plans.append(
                TransformerAreaPlan(
                    code=f"{code}-ta{len(plans) + 1:03d}",
                    name="",  # named after its village in plan_villages
                    district=d,
                    village=-1,
                    capacity_kva=rng.choice(CAPACITIES_KVA),
                    transformer=frame.lonlat(spot),
                    ring=frame.ring(area),
                    site=spot,
                    cell=area,
                    heading=headings[len(plans)],
                )
            )
    return plans


def plan_villages(
    rng: random.Random,
    frame: Frame,
    code: str,
    cells: list[list[XY]],
    tas: list[TransformerAreaPlan],
) -> list[VillagePlan]:
    """Neighbouring transformer areas (by bearing from the grid's centre) form a village of
    about five; the named branch-farm village 张家窑分场村 lies in grid 3."""
    names = list(VILLAGE_NAMES)
    rng.shuffle(names)
    villages: list[VillagePlan] = []
    for d, cell in enumerate(cells):
        centre = centroid(cell)
        members = sorted(
            (ta for ta in tas if ta.district == d),
            key=lambda ta: math.atan2(ta.site[1] - centre[1], ta.site[0] - centre[0]),
        )
        groups = max(1, round(len(members) / TAS_PER_VILLAGE))
        for g in range(groups):
            group = members[g * len(members) // groups : (g + 1) * len(members) // groups]
            name = ZHANGJIAYAO if (d == ZHANGJIAYAO_DISTRICT and g == 0) else names.pop()
            v = len(villages)
            villages.append(
                VillagePlan(
                    code=f"{code}-v{v + 1:02d}",
                    name=name,
                    office=DISTRICT_OFFICES[d],
                    district=d,
                    centre=frame.lonlat(centroid([ta.site for ta in group])),
                )
            )
            for k, ta in enumerate(group, start=1):
                ta.village = v
                ta.name = f"{name.removesuffix('村')}{k}号台区"
    return villages


def plan_lines(
    rng: random.Random,
    frame: Frame,
    index: int,
    routes: list[list[XY]],
    grids: Grids,
    tas: list[TransformerAreaPlan],
) -> list[LinePlan]:
    """The feeders, each cut into ordered segments that lie in one grid, each segment
    tied to the nearest transformer area of its grid."""
    short = "hou" if index == 1 else f"hou{index:02d}"
    place = "后湖" if index == 1 else f"后湖{index:02d}"
    kx, ky = frame.m_per_deg_lon, M_PER_DEG_LAT
    lines = []
    for n, route in enumerate(routes, start=1):
        code = f"10kv-{short}-{n:02d}"
        line = LinePlan(code=code, name=f"10kV{place}{chinese_number(n)}回线", vertices=[])
        line.vertices = [frame.lonlat(p) for p in route]
        for district, run in split_by_grid(line.vertices, grids):
            for piece in chunk(run, rng, frame):
                mid = piece[len(piece) // 2]
                nearest = min(
                    (i for i, ta in enumerate(tas) if ta.district == district),
                    key=lambda i: math.hypot(
                        (tas[i].transformer[0] - mid[0]) * kx, (tas[i].transformer[1] - mid[1]) * ky
                    ),
                )
                seq = len(line.segments) + 1
                line.segments.append(
                    SegmentPlan(
                        seq=seq,
                        code=f"{code}-s{seq:03d}",
                        district=district,
                        transformer_area=nearest,
                        vertices=piece,
                    )
                )
        lines.append(line)
    return lines


def plan_households(
    rng: random.Random,
    frame: Frame,
    index: int,
    tas: list[TransformerAreaPlan],
    villages: list[VillagePlan],
) -> list[HouseholdPlan]:
    """13,700 households, about 87 per transformer area, in hamlets strung along one to
    three village roads near the transformer (the first road follows the feeder). The
    1,811 aquaculture households sit further back, by their ponds, and cluster in the
    areas with the most ponds."""
    counts = largest_remainder(HOUSEHOLDS, [rng.uniform(0.5, 1.5) for _ in tas])
    ponds = [rng.uniform(0.2, 2.5) for _ in tas]
    owners = [ta_i for ta_i, count in enumerate(counts) for _ in range(count)]
    # Weighted sampling without replacement (Efraimidis-Spirakis): exactly 1,811.
    keys = sorted(range(len(owners)), key=lambda h: -(rng.random() ** (1 / ponds[owners[h]])))
    aquaculture = set(keys[:AQUACULTURE_HOUSEHOLDS])

    households: list[HouseholdPlan] = []
    used_phones: set[str] = set()
    village_surnames = {v: rng.sample(SURNAMES, 2) for v in range(len(villages))}
    per_village: dict[int, int] = {}  # house numbers run on across a village's areas
    for ta_i, (ta, count) in enumerate(zip(tas, counts, strict=True)):
        roads = village_roads(rng, ta.site, ta.heading, count)
        village = villages[ta.village]
        for _ in range(count):
            k = per_village[ta.village] = per_village.get(ta.village, -1) + 1
            h = len(households)
            location = place_household(rng, frame, roads, ta.cell, h in aquaculture)
            surnames = village_surnames[ta.village] if rng.random() < 0.4 else SURNAMES
            phone = ""
            while not phone or phone in used_phones:
                phone = f"{rng.choice(PHONE_PREFIXES)}{index - 1:02d}{rng.randrange(10**6):06d}"
            used_phones.add(phone)
            households.append(
                HouseholdPlan(
                    customer_number=f"42{index:02d}{h + 1:06d}",
                    head_name=person_name(rng, surnames),
                    phone=phone,
                    address=f"{village.office}{village.name}{k % 9 + 1}组{k // 9 + 1}号",
                    location=location,
                    village=ta.village,
                    transformer_area=ta_i,
                    is_aquaculture=h in aquaculture,
                )
            )
    return households


def village_roads(rng: random.Random, site: XY, heading: float, count: int) -> list[tuple[XY, XY]]:
    """One to three straight roads (centre, half-vector) around a transformer."""
    half = rng.uniform(250, 450)
    roads = [(site, (half * math.cos(heading), half * math.sin(heading)))]
    for _ in range((count > 70) + (count > 110)):
        along = rng.uniform(-0.6, 0.6)
        centre = (site[0] + along * roads[0][1][0], site[1] + along * roads[0][1][1])
        a = heading + math.pi / 2 + rng.uniform(-0.3, 0.3)
        half = rng.uniform(150, 350)
        roads.append((centre, (half * math.cos(a), half * math.sin(a))))
    return roads


def place_household(
    rng: random.Random,
    frame: Frame,
    roads: list[tuple[XY, XY]],
    cell: list[XY],
    aquaculture: bool,
) -> XY:
    """A point beside a road (or behind it, by the ponds) inside the transformer's cell.

    The cell lies in the grid's cell; a point at least 1 m inside it stays inside both
    after every coordinate is rounded to ~1 cm, so no GEOS check is needed per household
    (the tests check all of them in PostGIS).
    """
    site = roads[0][0]
    for attempt in range(200):
        (cx, cy), (hx, hy) = rng.choice(roads)
        t = max(-1.0, min(1.0, rng.gauss(0, 0.45)))
        length = math.hypot(hx, hy)
        nx, ny = -hy / length, hx / length
        back = 40 + abs(rng.gauss(0, 120)) if aquaculture else 8 + abs(rng.gauss(0, 12))
        side = rng.choice((-1, 1)) * back
        if attempt > 100:  # a cramped area: close to the transformer
            cx, cy, t, side = site[0], site[1], 0.0, rng.uniform(5, 30)
        p = (cx + t * hx + side * nx, cy + t * hy + side * ny)
        if inside_convex(cell, p, margin=1.0):
            return frame.lonlat(p)
    raise ValueError(f"no room for a household near {site}")


def plan_accounts(
    rng: random.Random,
    index: int,
    households: list[HouseholdPlan],
    tas: list[TransformerAreaPlan],
    villages: list[VillagePlan],
) -> list[AccountPlan]:
    """7 grid managers, 15 staff, and 30 villagers. The first villager (13900000001 at
    station 1) heads a household of 张家窑分场村; the rest are spread over all grids."""
    prefix = "" if index == 1 else f"{station_code(index)}-"
    accounts = [
        AccountPlan(
            username=f"{prefix}manager{m}",
            display_name=person_name(rng),
            role=User.Role.GRID_MANAGER,
            phone=f"199{index - 1:02d}0000{m:02d}",
            district=m - 1,
        )
        for m in range(1, MANAGERS + 1)
    ]
    accounts += [
        AccountPlan(
            username=f"{prefix}staff{s:02d}", display_name=person_name(rng), role=User.Role.STAFF
        )
        for s in range(1, STAFF + 1)
    ]
    zhangjiayao = next(v for v, village in enumerate(villages) if village.name == ZHANGJIAYAO)
    chosen = [next(h for h, hh in enumerate(households) if hh.village == zhangjiayao)]
    by_district: dict[int, list[int]] = {}
    for h, hh in enumerate(households):
        by_district.setdefault(tas[hh.transformer_area].district, []).append(h)
    while len(chosen) < VILLAGER_ACCOUNTS:
        pool = by_district[len(chosen) % len(by_district)]
        h = rng.choice(pool)
        if h not in chosen:
            chosen.append(h)
    for n, h in enumerate(chosen, start=1):
        # Villagers log in with their phone: easy, documented numbers for the demo.
        households[h].phone = f"139{index - 1:02d}0000{n:02d}"
        accounts.append(
            AccountPlan(
                username=households[h].phone,
                display_name=households[h].head_name,
                role=User.Role.VILLAGER,
                phone=households[h].phone,
                household=h,
            )
        )
    return accounts


# --- Writing -----------------------------------------------------------------------------------
def _xy(p: XY) -> Point:
    return Point(p[0], p[1], srid=4326)


@transaction.atomic
def write_station(plan: StationPlan, county: County, password_hash: str) -> Station:
    """Bulk-create one planned station: one or two statements per table, no per-row saves."""
    station = Station.objects.create(
        county=county, code=plan.code, name=plan.name, households_served=HOUSEHOLDS
    )
    districts = District.objects.bulk_create(
        District(station=station, code=d.code, name=d.name, boundary=Polygon(d.ring, srid=4326))
        for d in plan.districts
    )
    villages = Village.objects.bulk_create(
        Village(station=station, code=v.code, name=v.name, office=v.office, centre=_xy(v.centre))
        for v in plan.villages
    )
    tas = TransformerArea.objects.bulk_create(
        TransformerArea(
            district=districts[t.district],
            code=t.code,
            name=t.name,
            capacity_kva=t.capacity_kva,
            transformer=_xy(t.transformer),
            area=Polygon(t.ring, srid=4326) if t.ring else None,
        )
        for t in plan.transformer_areas
    )
    insert_households(plan.households, [v.pk for v in villages], [t.pk for t in tas])
    villager_numbers = [
        plan.households[a.household].customer_number
        for a in plan.accounts
        if a.household is not None
    ]
    household_ids = dict(
        Household.objects.filter(customer_number__in=villager_numbers).values_list(
            "customer_number", "pk"
        )
    )
    lines = Line.objects.bulk_create(
        Line(
            station=station,
            code=line.code,
            name=line.name,
            voltage_kv=Line.Voltage.KV10,
            geom=LineString(line.vertices, srid=4326),
        )
        for line in plan.lines
    )
    Segment.objects.bulk_create(
        Segment(
            line=db_line,
            seq=s.seq,
            code=s.code,
            district=districts[s.district],
            transformer_area=tas[s.transformer_area],
            geom=LineString(s.vertices, srid=4326),
        )
        for line, db_line in zip(plan.lines, lines, strict=True)
        for s in line.segments
    )
    users = User.objects.bulk_create(
        User(
            username=a.username,
            display_name=a.display_name,
            password=password_hash,
            role=a.role,
            phone=a.phone,
            station=None if a.role == User.Role.VILLAGER else station,
            household_id=(
                household_ids[plan.households[a.household].customer_number]
                if a.household is not None
                else None
            ),
        )
        for a in plan.accounts
    )
    for a, user in zip(plan.accounts, users, strict=True):
        if a.district is not None:
            districts[a.district].manager = user
            districts[a.district].manager_phone = a.phone or ""
    District.objects.bulk_update(districts, ["manager", "manager_phone"])
    # Bulk writes send no signals: the cached map readers (who reads which grid) are
    # re-read, as a saved grid or user would have them.
    reader_cache.bump_now_and_after_commit()
    # The other apps' steps join these rows at once (houhu.lib.bulk says why).
    analyze(Household, User, Segment, TransformerArea)
    return station


def insert_households(
    households: Sequence[HouseholdPlan], village_ids: list[int], ta_ids: list[int]
) -> None:
    """One INSERT ... SELECT FROM unnest(arrays) for all households of a station.

    This is the one place the loader leaves the ORM: building 13,700 model instances and
    their GEOS points cost ~5 s of the ~7 s a station took with bulk_create; the column
    arrays take well under a second. Column names come from the model, so a renamed
    field fails loudly here rather than silently.
    """
    fields = Household._meta
    columns = [
        fields.get_field(name).column
        for name in (
            "customer_number", "head_name", "phone", "address", "village",
            "transformer_area", "is_aquaculture", "is_active", "location",
        )
    ]  # fmt: skip
    arrays = (
        [h.customer_number for h in households],
        [h.head_name for h in households],
        [h.phone for h in households],
        [h.address for h in households],
        [village_ids[h.village] for h in households],
        [ta_ids[h.transformer_area] for h in households],
        [h.is_aquaculture for h in households],
        [h.location[0] for h in households],
        [h.location[1] for h in households],
    )
    sql = f"""
        INSERT INTO {connection.ops.quote_name(fields.db_table)}
            ({", ".join(connection.ops.quote_name(c) for c in columns)})
        SELECT number, head, phone, address, village, area, aquaculture, TRUE,
               ST_SetSRID(ST_MakePoint(lon, lat), 4326)
        FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[],
                    %s::bigint[], %s::boolean[], %s::float8[], %s::float8[])
            AS h(number, head, phone, address, village, area, aquaculture, lon, lat)
    """  # noqa: S608 - identifiers from the model's own metadata, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)


def ensure_county_accounts(county: County, password_hash: Callable[[], str]) -> None:
    """`admin` and `leader`, once per database."""
    if not User.objects.filter(username="admin").exists():
        User.objects.create(
            username="admin",
            display_name="系统管理员",
            password=password_hash(),
            role=User.Role.ADMIN,
            is_staff=True,
            is_superuser=True,
        )
    if not User.objects.filter(username="leader").exists():
        User.objects.create(
            username="leader",
            display_name="县公司领导",
            password=password_hash(),
            role=User.Role.LEADER,
            county=county,
        )


def load_station(
    county: County, index: int, seed: int = DEFAULT_SEED, password_hash: str | None = None
) -> tuple[Station, bool]:
    """Station `index` (1-based): loaded if missing. Returns (station, created)."""
    existing = Station.objects.filter(code=station_code(index)).first()
    if existing is not None:
        return existing, False
    password_hash = password_hash or make_password(PASSWORD)
    return write_station(plan_station(index, seed), county, password_hash), True


def run_steps(stations: list[Station], seed: int) -> list[str]:
    """Run the registered demo steps with every demo station. An error inside one
    propagates. Steps run on every load with all the demo stations, so they must be
    idempotent, like the core loader."""
    for _name, load in STEPS:
        load(stations=stations, seed=seed)
    return [name for name, _ in STEPS]


@dataclass
class LoadResult:
    stations: list[Station]
    created: list[str]
    steps: list[str]


def load_demo(
    scale: int = 1, seed: int = DEFAULT_SEED, log: Callable[[str], object] = lambda _: None
) -> LoadResult:
    """Stations 1..scale in the county of Qianjiang, the county accounts, then the other
    apps' demo steps."""
    county, _ = County.objects.get_or_create(code=COUNTY_CODE, defaults={"name": COUNTY_NAME})
    hashes: list[str] = []

    def password_hash() -> str:
        # Hashed once, and only if an account is created: PBKDF2 is slow by design.
        if not hashes:
            hashes.append(make_password(PASSWORD))
        return hashes[0]

    ensure_county_accounts(county, password_hash)
    stations, created = [], []
    for index in range(1, scale + 1):
        station = Station.objects.filter(code=station_code(index)).first()
        if station is None:
            station = write_station(plan_station(index, seed), county, password_hash())
            created.append(station.code)
        stations.append(station)
        log(f"{station.code}: {'loaded' if station.code in created else 'already present, kept'}")
    return LoadResult(stations=stations, created=created, steps=run_steps(stations, seed))
