"""Patch, segment and front-door responsibility: see pledges/__init__.py."""
