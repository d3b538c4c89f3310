"""Every report event is chained into its station's ledger (houhu.ledger), by a trigger."""

from django.db import migrations

from houhu.ledger.sql import source

CHAIN = source(
    table="patrols_reportevent",
    kind="report",
    object_id="r.report_id",
    station="SELECT d.station_id FROM patrols_report p"
    " JOIN grid_district d ON d.id = p.district_id WHERE p.id = r.report_id",
    actor="r.actor_id",
    at="r.at",
    action="r.action",
    order="r.at, r.id",
)


class Migration(migrations.Migration):
    dependencies = [("patrols", "0007_wecom_robots"), ("ledger", "0001_chain")]

    operations = [migrations.RunSQL(*CHAIN)]
