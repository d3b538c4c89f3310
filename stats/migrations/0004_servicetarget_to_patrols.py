# The service targets now belong to the patrols app (see patrols 0004): the table stays,
# only Django's state forgets the model here.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0003_lean_snapshot_writes'),
        ('patrols', '0005_servicetarget_from_stats'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ServiceTarget')],
            database_operations=[],
        ),
    ]
