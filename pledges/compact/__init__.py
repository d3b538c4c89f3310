"""The compact and its pledges: see pledges/__init__.py."""
