"""Template tags for the villager's home card, which the home page includes by name."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def patrols_open_count(user) -> int:
    """How many of this user's own reports still wait for someone (Report.OPEN_STATUSES)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    from patrols.models import Report

    # The user's own rows only: nothing to scope beyond the reporter.
    return Report.objects.filter(reporter=user, status__in=Report.OPEN_STATUSES).count()
