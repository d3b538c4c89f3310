"""What the home page shows and where each user lands: registered by the apps above
accounts (in their AppConfig.ready), so this app never imports or looks them up.

- `register_villager_card(template, order)`: a card on the villager's phone home page;
- `register_landing_page(url_name, order, capability)`: where a user who holds the
  capability (houhu.accounts.scopes) lands after logging in; the lowest order wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import scopes


@dataclass(frozen=True)
class Card:
    template: str
    order: int


@dataclass(frozen=True)
class Landing:
    url_name: str
    order: int
    capability: scopes.Can


_cards: dict[str, Card] = {}
_landings: dict[str, Landing] = {}


def register_villager_card(template: str, *, order: int) -> None:
    _cards[template] = Card(template, order)


def register_landing_page(url_name: str, *, order: int, capability: scopes.Can) -> None:
    _landings[url_name] = Landing(url_name, order, scopes.Can(capability))


def villager_cards() -> list[str]:
    return [c.template for c in sorted(_cards.values(), key=lambda c: (c.order, c.template))]


def landing_page(user) -> str | None:
    """The URL name where this user lands, or None (the station map then)."""
    for landing in sorted(_landings.values(), key=lambda x: (x.order, x.url_name)):
        if scopes.can(user, landing.capability):
            return landing.url_name
    return None
