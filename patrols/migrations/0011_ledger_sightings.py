"""A sighting of a reported hazard ("I saw it too") is a change of the report's record:
chained into its station's ledger (houhu.ledger) like the report's events."""

from django.db import migrations

from houhu.ledger.sql import source

CHAIN = source(
    table="patrols_reportsighting",
    kind="report",
    object_id="r.report_id",
    station="SELECT d.station_id FROM patrols_report p"
    " JOIN grid_district d ON d.id = p.district_id WHERE p.id = r.report_id",
    actor="r.by_id",
    at="r.at",
    action="'sighting'",
    order="r.at, r.id",
)


class Migration(migrations.Migration):
    dependencies = [("patrols", "0010_verify_evidence")]

    operations = [migrations.RunSQL(*CHAIN)]
