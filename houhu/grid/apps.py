from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    name = "houhu.grid"
    label = "grid"
    verbose_name = _("Grid, lines and households")

    def ready(self) -> None:
        from houhu.lib.signals import ledger_changed

        from . import tiles

        tiles.register_grid_layers()
        # A ledger change makes the changed grids' tiles of the touched layers stale.
        ledger_changed.connect(tiles.on_ledger_changed, dispatch_uid="grid.tiles")
