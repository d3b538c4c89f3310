"""Template tags for the compact's cards on pages owned by other apps (the villager home)."""

from __future__ import annotations

from django import template

from pledges.compact.selectors import household_pledge_status

register = template.Library()


@register.simple_tag
def villager_pledge_summary(user) -> dict:
    """The villager's compact in force, active pledge and renewal reminder, for their card."""
    if not getattr(user, "is_authenticated", False) or not user.household_id:
        return {}
    return household_pledge_status(household=user.household, user=user)
