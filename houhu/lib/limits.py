"""Input limits read from their one definition, the model field (its `max_length` and its
Min/MaxValueValidators), so that forms, serializers, services and help texts derive them
rather than restate them (tests/lib/test_limits.py compares every layer)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


def max_length(model: type[models.Model], field: str) -> int:
    return model._meta.get_field(field).max_length


def bounds(model: type[models.Model], field: str) -> tuple[float | None, float | None]:
    """(min, max) of a numeric field, from its validators; None where it has none."""
    low = high = None
    for validator in model._meta.get_field(field).validators:
        if isinstance(validator, MinValueValidator):
            low = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            high = validator.limit_value
    return low, high


def min_value(model: type[models.Model], field: str) -> float | None:
    return bounds(model, field)[0]


def max_value(model: type[models.Model], field: str) -> float | None:
    return bounds(model, field)[1]
