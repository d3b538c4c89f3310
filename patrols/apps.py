from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "patrols"
    verbose_name = _("Patrol reports")

    def ready(self) -> None:
        from houhu.accounts import home, offline
        from houhu.accounts.scopes import Can

        from . import demo, tiles

        demo.register()
        tiles.register_layers()
        # The phone's home page shows the patrol card first: reporting is the daily task.
        home.register_villager_card("patrols/villager_card.html", order=10)
        # Who acts on the grid lands on the map workspace (leaders: StatsConfig).
        home.register_landing_page("patrols:workspace", order=10, capability=Can.ACT_IN_DISTRICTS)
        # The report form and "my records" open with no signal; a report's page and the
        # API data behind the pages are kept once seen. The worker sends the outbox.
        offline.register_offline(
            "patrols",
            pages=("patrols:report_new", "patrols:my_reports"),
            prefixes=(
                "/patrols/mine/",
                "/api/patrols/reports/",
                "/files/report-photo/",  # the photos of the reports seen (cleared at log-out)
                "/api/layers/segments/",
            ),
            assets=(
                "patrols/patrols.css",
                "patrols/outbox.js",
                "patrols/report.js",
                "patrols/reports.js",
                "patrols/place-map.js",
                "patrols/nearby.js",
                "patrols/notices.js",
                "patrols/villager-card.js",
            ),
            worker_scripts=("patrols/outbox.js", "patrols/outbox-sync.js"),
        )
