from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "patrols"
    verbose_name = _("Patrol reports")

    def ready(self) -> None:
        from houhu.accounts import home
        from houhu.accounts.scopes import Can

        from . import demo, tiles

        demo.register()
        tiles.register_layers()
        # The phone's home page shows the patrol card first: reporting is the daily task.
        home.register_villager_card("patrols/villager_card.html", order=10)
        # Who acts on the grid lands on the map workspace (leaders: StatsConfig).
        home.register_landing_page("patrols:workspace", order=10, capability=Can.ACT_IN_DISTRICTS)
