from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "houhu.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from . import offline, reader_cache

        reader_cache.connect()

        # The phone's home page and what every page loads (the other apps add theirs).
        offline.register_offline(
            "accounts",
            pages=("accounts:home",),
            assets=("css/houhu.css", "js/houhu-dom.js", "js/logout.js", "js/app-shell.js"),
        )
