from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgesConfig(AppConfig):
    name = "pledges"
    verbose_name = _("Village compact and responsibility")

    def ready(self) -> None:
        from houhu.accounts import home

        from . import demo, tiles

        demo.register()
        tiles.register_layers()
        home.register_villager_card("pledges/villager_card.html", order=20)
