"""Fixtures shared by the pledges tests."""

from __future__ import annotations

import pytest

from .factories import World


@pytest.fixture
def world():
    """One station, two grids with their managers, two villages, a published compact."""
    return World()
