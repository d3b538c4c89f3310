"""The Celery application: reads CELERY_* from Django settings, finds tasks in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "houhu.settings.dev")

app = Celery("houhu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
