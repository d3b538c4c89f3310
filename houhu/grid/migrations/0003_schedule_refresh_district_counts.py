"""Schedule `grid.refresh_district_counts` hourly in django-celery-beat's database scheduler.

Idempotent: running it on a database that already has the schedule changes nothing; a
schedule edited by an administrator keeps its edits except the task name and interval.
"""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "grid.refresh_district_counts"
SCHEDULE_NAME = "grid: refresh service grid counts (hourly)"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={"task": TASK_NAME, "interval": every_hour, "enabled": True},
    )
    # Beat only reloads its schedule when this change marker moves (what
    # PeriodicTasks.changed() does on the real model; historical models lack the method).
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("grid", "0002_district_counts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
