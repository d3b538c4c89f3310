"""Schedule the snapshot refreshes in django-celery-beat's database scheduler, where staff
can change them in the admin: a nightly full refresh (yesterday, this and last month, this
year) and an hourly refresh of today and this month.

Idempotent: an existing schedule keeps an administrator's edits except task and timing.
"""

from django.db import migrations
from django.utils import timezone

NIGHTLY = "stats: refresh all snapshots (nightly)"
HOURLY = "stats: refresh today's and this month's snapshots (hourly)"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    # 02:15 local time: after midnight's day is closed, before anyone reads the dashboard.
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="2", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Asia/Shanghai",
    )
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.update_or_create(
        name=NIGHTLY,
        defaults={"task": "stats.refresh_all", "crontab": nightly, "interval": None,
                  "kwargs": '{"scope": "nightly"}', "enabled": True},
    )
    PeriodicTask.objects.update_or_create(
        name=HOURLY,
        defaults={"task": "stats.refresh_all", "interval": every_hour, "crontab": None,
                  "kwargs": '{"scope": "current"}', "enabled": True},
    )
    # Beat reloads its schedule only when this marker moves (PeriodicTasks.changed()).
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[NIGHTLY, HOURLY]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
