"""Pledge, assignment, compact version events and household visits are chained into their
station's ledger (houhu.ledger), each by a trigger: one appender for every kind."""

from django.db import migrations

from houhu.ledger.sql import source

# A household's station: through its transformer area's district (one source of truth).
HOUSEHOLD_STATION = (
    "SELECT d.station_id FROM grid_household h"
    " JOIN grid_transformerarea t ON t.id = h.transformer_area_id"
    " JOIN grid_district d ON d.id = t.district_id WHERE h.id = {household}"
)

PLEDGES = source(
    table="pledges_pledgeevent",
    kind="pledge",
    object_id="r.pledge_id",
    station=HOUSEHOLD_STATION.format(
        household="(SELECT p.household_id FROM pledges_pledge p WHERE p.id = r.pledge_id)"
    ),
    actor="r.by_id",
    at="r.at",
    # sign (a first or a renewing pledge), renew (the pledge it replaces), withdraw
    action="CASE WHEN r.from_status = '' THEN 'sign' WHEN r.to_status = 'renewed' THEN 'renew'"
    " WHEN r.to_status = 'withdrawn' THEN 'withdraw' ELSE r.to_status END",
    order="r.at, r.id",
)
ASSIGNMENTS = source(
    table="pledges_assignmentevent",
    kind="assignment",
    object_id="r.assignment_id",
    station="SELECT d.station_id FROM pledges_assignment a"
    " JOIN grid_district d ON d.id = a.district_id WHERE a.id = r.assignment_id",
    actor="r.by_id",
    at="r.at",
    action="r.action",
    order="r.at, r.id",
)
VERSIONS = source(
    table="pledges_compactversionevent",
    kind="compact_version",
    object_id="r.version_id",
    station="SELECT c.station_id FROM pledges_compactversion v"
    " JOIN pledges_compact c ON c.id = v.compact_id WHERE v.id = r.version_id",
    actor="r.by_id",
    at="r.at",
    action="r.to_status",
    order="r.at, r.id",
)
VISITS = source(
    table="pledges_householdvisit",
    kind="household",
    object_id="r.household_id",
    station=HOUSEHOLD_STATION.format(household="r.household_id"),
    actor="r.visited_by_id",
    at="r.recorded_at",
    action="'visit'",
    order="r.recorded_at, r.id",
)


class Migration(migrations.Migration):
    dependencies = [("pledges", "0002_household_visit"), ("ledger", "0001_chain")]

    operations = [
        migrations.RunSQL(*PLEDGES),
        migrations.RunSQL(*ASSIGNMENTS),
        migrations.RunSQL(*VERSIONS),
        migrations.RunSQL(*VISITS),
    ]
