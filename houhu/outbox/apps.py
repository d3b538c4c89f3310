from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "houhu.outbox"
    label = "outbox"
    verbose_name = _("Background work")

    def ready(self) -> None:
        # Every app declares its job handlers in `<app>/jobs.py`; the web process needs the
        # names (defer refuses an unknown one), the worker needs the functions.
        autodiscover_modules("jobs")
