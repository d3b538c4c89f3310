# Issue 11: the figures are defined once (patrols.figures, pledges.figures) and stocks are
# taken at each period's end. New columns: `as_of` (the instant a row's figures are taken
# at), the tree obstacles reported and cleared by villagers / crews; the stocks (open,
# overdue) are empty on day rows, like coverage; a period kind for the previous month to
# the same day (what month-to-date figures are compared with). Existing rows get their
# `as_of` from their period and computation time; the next refresh recomputes them.

from django.db import migrations, models

PERIODS = [('day', 'Day'), ('month', 'Month'), ('year', 'Year'), ('mtd', 'Previous month to the same day')]



def fill_as_of(apps, schema_editor):
    from django.conf import settings

    with schema_editor.connection.cursor() as cur:
        cur.execute(
            """UPDATE stats_snapshot SET as_of = least(
                   ((period_start + CASE period WHEN 'day' THEN interval '1 day'
                                                WHEN 'year' THEN interval '1 year'
                                                ELSE interval '1 month' END)::timestamp
                       AT TIME ZONE %s),
                   computed_at)""",
            [settings.TIME_ZONE],
        )
        cur.execute("UPDATE stats_snapshotrun SET as_of = started_at")


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0004_servicetarget_to_patrols'),
    ]

    operations = [
        migrations.AddField(
            model_name='snapshot',
            name='as_of',
            field=models.DateTimeField(null=True, help_text='The end of the period, or the time of the computation while the period runs: flows count up to it, stocks are taken at it.', verbose_name='figures as of'),
        ),
        migrations.AddField(
            model_name='snapshotrun',
            name='as_of',
            field=models.DateTimeField(help_text="The time the run's figures are taken at.", null=True, verbose_name='computed as of'),
        ),
        migrations.RunPython(fill_as_of, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='snapshot',
            name='as_of',
            field=models.DateTimeField(help_text='The end of the period, or the time of the computation while the period runs: flows count up to it, stocks are taken at it.', verbose_name='figures as of'),
        ),
        migrations.AddField(
            model_name='snapshot',
            name='tree_places_reported',
            field=models.IntegerField(default=0, verbose_name='tree obstacles reported (places)'),
        ),
        migrations.AddField(
            model_name='snapshot',
            name='tree_places_cleared_self',
            field=models.IntegerField(default=0, verbose_name='tree obstacles cleared by villagers (places)'),
        ),
        migrations.AddField(
            model_name='snapshot',
            name='tree_places_cleared_crew',
            field=models.IntegerField(default=0, verbose_name='tree obstacles cleared by a crew (places)'),
        ),
        migrations.AlterField(
            model_name='snapshot',
            name='open_hazards',
            field=models.IntegerField(blank=True, null=True, verbose_name='open hazards'),
        ),
        migrations.AlterField(
            model_name='snapshot',
            name='open_in_zone',
            field=models.IntegerField(blank=True, null=True, verbose_name='open inside the protection zone'),
        ),
        migrations.AlterField(
            model_name='snapshot',
            name='overdue_confirm',
            field=models.IntegerField(blank=True, null=True, verbose_name='overdue for confirmation'),
        ),
        migrations.AlterField(
            model_name='snapshot',
            name='overdue_clear',
            field=models.IntegerField(blank=True, null=True, verbose_name='overdue for clearing'),
        ),
        migrations.AlterField(
            model_name='snapshot',
            name='household_visits',
            field=models.IntegerField(blank=True, null=True, verbose_name='household visits'),
        ),
        migrations.AlterField(
            model_name='snapshot',
            name='period',
            field=models.CharField(choices=PERIODS, max_length=5, verbose_name='period'),
        ),
        migrations.AlterField(
            model_name='snapshotrun',
            name='period',
            field=models.CharField(choices=PERIODS, max_length=5, verbose_name='period'),
        ),
        migrations.RemoveConstraint(
            model_name='snapshot',
            name='stats_snapshot_period_valid',
        ),
        migrations.AddConstraint(
            model_name='snapshot',
            constraint=models.CheckConstraint(condition=models.Q(('period__in', ['day', 'month', 'year', 'mtd'])), name='stats_snapshot_period_valid'),
        ),
    ]
