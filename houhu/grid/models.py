"""The station's own geography: county → station → district (service grid) → transformer
area → household; villages; 10 kV lines cut into ordered segments.

All geometry is WGS-84 (SRID 4326); distances in metres go through `houhu.grid.geo`.
Integrity lives in the database: named uniqueness and validity constraints, and PROTECT on
every foreign key that would otherwise orphan a household or a segment.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .geo import geography


class County(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("county")
        verbose_name_plural = _("counties")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Station(models.Model):
    """A power supply station (供电所), e.g. Houhu."""

    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="stations", verbose_name=_("county")
    )
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    households_served = models.PositiveIntegerField(
        _("customer households served"),
        default=0,
        help_text=_("As declared by the station; the ledger counts its own households."),
    )

    class Meta:
        verbose_name = _("power supply station")
        verbose_name_plural = _("power supply stations")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """A service grid (大台区 / 供电服务网格) with one grid manager (台区经理)."""

    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, related_name="districts", verbose_name=_("station")
    )
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    boundary = models.PolygonField(_("boundary"), srid=4326)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_districts",
        verbose_name=_("grid manager"),
    )
    manager_phone = models.CharField(
        _("grid manager's posted phone"),
        max_length=20,
        blank=True,
        help_text=_("The number posted on every door of the grid."),
    )

    class Meta:
        verbose_name = _("service grid")
        verbose_name_plural = _("service grids")
        ordering = ["station", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(boundary__isvalid=True), name="grid_district_boundary_valid"
            ),
            models.UniqueConstraint(fields=["station", "name"], name="grid_district_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Village(models.Model):
    """An administrative village (村) or branch farm, under an office or town."""

    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, related_name="villages", verbose_name=_("station")
    )
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    office = models.CharField(
        _("office or town"), max_length=100, help_text=_("e.g. 关庙办事处, 天心场办事处")
    )
    centre = models.PointField(_("centre"), srid=4326, null=True, blank=True)

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["station", "office", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "office", "name"], name="grid_village_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.name}"


class TransformerArea(models.Model):
    """A transformer area (台区): the low-voltage area fed by one distribution transformer."""

    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="transformer_areas",
        verbose_name=_("service grid"),
    )
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    capacity_kva = models.PositiveIntegerField(_("capacity (kVA)"), null=True, blank=True)
    transformer = models.PointField(_("transformer location"), srid=4326)
    area = models.PolygonField(_("area"), srid=4326, null=True, blank=True)

    class Meta:
        verbose_name = _("transformer area")
        verbose_name_plural = _("transformer areas")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(area__isnull=True) | Q(area__isvalid=True),
                name="grid_transformerarea_area_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """A customer household. Its district is its transformer area's: one source of truth."""

    customer_number = models.CharField(_("customer number"), max_length=20, unique=True)
    head_name = models.CharField(_("head of household"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    location = models.PointField(_("location"), srid=4326)
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="households", verbose_name=_("village")
    )
    transformer_area = models.ForeignKey(
        TransformerArea,
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("transformer area"),
    )
    is_aquaculture = models.BooleanField(_("large aquaculture household"), default=False)
    is_active = models.BooleanField(_("active customer"), default=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["customer_number"]
        indexes = [
            # "Households within N metres of a segment" (front-door derivation) and
            # "nearest household" queries run on the geography cast.
            GistIndex(geography("location", models.PointField), name="grid_household_geog_gist"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_number} {self.head_name}"


class Line(models.Model):
    """An overhead feeder, e.g. a 10 kV line, drawn as one LineString."""

    class Voltage(models.IntegerChoices):
        KV10 = 10, _("10 kV")
        KV35 = 35, _("35 kV")
        KV110 = 110, _("110 kV")
        KV220 = 220, _("220 kV")
        KV500 = 500, _("500 kV")

    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, related_name="lines", verbose_name=_("station")
    )
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    voltage_kv = models.PositiveSmallIntegerField(
        _("voltage level"), choices=Voltage.choices, default=Voltage.KV10
    )
    geom = models.LineStringField(_("route"), srid=4326)

    class Meta:
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="grid_line_geom_valid"),
            models.CheckConstraint(
                condition=Q(voltage_kv__in=[10, 35, 110, 220, 500]),
                name="grid_line_voltage_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_voltage_kv_display()})"

    def protection_zone(self) -> dict:
        """The protection-zone figures for this line's voltage (settings, per regulation)."""
        return settings.HOUHU_PROTECTION_ZONES[self.voltage_kv]


class Segment(models.Model):
    """An ordered stretch of one line (between poles or switches), inside one grid."""

    line = models.ForeignKey(
        Line, on_delete=models.PROTECT, related_name="segments", verbose_name=_("line")
    )
    seq = models.PositiveIntegerField(_("order along the line"))
    code = models.SlugField(_("code"), max_length=40, unique=True)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="segments", verbose_name=_("service grid")
    )
    transformer_area = models.ForeignKey(
        TransformerArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="segments",
        verbose_name=_("transformer area"),
    )
    geom = models.LineStringField(_("route"), srid=4326)

    class Meta:
        verbose_name = _("line segment")
        verbose_name_plural = _("line segments")
        ordering = ["line", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["line", "seq"], name="grid_segment_line_seq_unique"),
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="grid_segment_geom_valid"),
        ]
        indexes = [
            # Snapping a report to its nearest segment, in metres, uses this cast.
            GistIndex(geography("geom", models.LineStringField), name="grid_segment_geog_gist"),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("grid:map") + f"#segment={self.pk}"


class DistrictCounts(models.Model):
    """Per-grid layer counts, recomputed by the `grid.refresh_district_counts` task.

    The map's grid layer and the district API read these instead of counting 13,700
    households on every request; a grid without a row yet is counted live (see
    `selectors.districts_with_counts`). One row per grid, overwritten in place: running the
    task twice gives the same rows.
    """

    district = models.OneToOneField(
        District,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="counts",
        verbose_name=_("service grid"),
    )
    household_count = models.PositiveIntegerField(_("active households"), default=0)
    aquaculture_household_count = models.PositiveIntegerField(
        _("active large aquaculture households"), default=0
    )
    transformer_area_count = models.PositiveIntegerField(_("transformer areas"), default=0)
    segment_count = models.PositiveIntegerField(_("line segments"), default=0)
    line_length_m = models.FloatField(
        _("length of line segments (m)"),
        default=0.0,
        help_text=_("Measured on the spheroid, in metres."),
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("service grid counts")
        verbose_name_plural = _("service grid counts")
        ordering = ["district"]
        constraints = [
            models.CheckConstraint(
                condition=Q(aquaculture_household_count__lte=models.F("household_count")),
                name="grid_districtcounts_aquaculture_le_households",
            ),
        ]

    def __str__(self) -> str:
        return str(self.district)
