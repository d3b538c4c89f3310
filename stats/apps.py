from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = _("Compliance statistics")

    def ready(self) -> None:
        from houhu.accounts import home
        from houhu.accounts.scopes import Can
        from houhu.lib.signals import ledger_changed

        from . import demo, receivers

        # The ledger's apps announce their changes; the statistics listen (they are the
        # higher app: the patrols and pledges services never import stats).
        ledger_changed.connect(receivers.refresh_after_commit, dispatch_uid="stats.refresh")
        demo.register()
        # Who acts on the grid lands on the patrol workspace (PatrolsConfig, order 10);
        # who only reads it, a county leader, on the dashboard.
        home.register_landing_page("stats:dashboard", order=20, capability=Can.READ_STATS)
