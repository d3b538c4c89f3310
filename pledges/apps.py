from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgesConfig(AppConfig):
    name = "pledges"
    verbose_name = _("Village compact and responsibility")

    def ready(self) -> None:
        from houhu.accounts import home, offline

        from . import demo, tiles

        demo.register()
        tiles.register_layers()
        home.register_villager_card("pledges/villager_card.html", order=20)
        # The compact and "my responsibility" open with no signal after one visit; the map's
        # data is kept once it has been shown (its scripts load only when it is opened).
        offline.register_offline(
            "pledges",
            pages=("pledges:my_compact", "pledges:my_responsibility"),
            prefixes=("/pledges/me/", "/api/layers/around-me/"),
            assets=("pledges/pledges.css", "pledges/my-map.js"),
        )
