# The service targets move from the stats app to the patrols app: "overdue" is a patrols
# rule (patrols.figures), read by the live counts as well as the snapshots, and patrols may
# not import stats. The table keeps its name and rows: only Django's state changes here.

import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grid', '0003_schedule_refresh_district_counts'),
        ('patrols', '0004_report_input_limits'),
        # The table was created by the stats app's first migration.
        ('stats', '0003_lean_snapshot_writes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ServiceTarget',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('confirm_within_hours', models.PositiveIntegerField(default=24, verbose_name='confirm a hazard within (hours)')),
                        ('clear_within_days', models.PositiveIntegerField(default=7, verbose_name='clear a confirmed hazard within (days)')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('station', models.OneToOneField(blank=True, help_text='Empty: the default for every station.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='service_target', to='grid.station', verbose_name='station')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
                    ],
                    options={
                        'verbose_name': 'service target',
                        'verbose_name_plural': 'service targets',
                        'db_table': 'stats_servicetarget',
                        'constraints': [models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('station', models.Value(0)), name='stats_servicetarget_one_per_station'), models.CheckConstraint(condition=models.Q(('confirm_within_hours__gt', 0), ('clear_within_days__gt', 0)), name='stats_servicetarget_positive')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
