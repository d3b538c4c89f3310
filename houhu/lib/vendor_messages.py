"""Messages of third-party packages that ship no Simplified Chinese, translated in
houhu/locale (LOCALE_PATHS comes first). Listed here so that `makemessages` keeps them in
the catalogue: django-leaflet's drawing toolbar in the admin's map widgets
(leaflet/templatetags/leaflet_tags.py) showed "Draw a polygon" in the Chinese admin; the
headings Django 5.2's admin added to its model list; django-axes' model names."""

from django.utils.translation import gettext_noop

DJANGO_LEAFLET = (
    gettext_noop("Reset view"),
    gettext_noop("Cancel drawing"),
    gettext_noop("Cancel"),
    gettext_noop("Delete last point drawn"),
    gettext_noop("Delete last point"),
    gettext_noop("Draw a polyline"),
    gettext_noop("Draw a polygon"),
    gettext_noop("Draw a rectangle"),
    gettext_noop("Draw a circle"),
    gettext_noop("Draw a marker"),
    gettext_noop("Click and drag to draw circle."),
    gettext_noop("Click map to place marker."),
    gettext_noop("Click to start drawing shape."),
    gettext_noop("Click to continue drawing shape."),
    gettext_noop("Click first point to close this shape."),
    gettext_noop("<strong>Error:</strong> shape edges cannot cross!"),
    gettext_noop("Click to start drawing line."),
    gettext_noop("Click to continue drawing line."),
    gettext_noop("Click last point to finish line."),
    gettext_noop("Click and drag to draw rectangle."),
    gettext_noop("Release mouse to finish drawing."),
    gettext_noop("Save changes."),
    gettext_noop("Save"),
    gettext_noop("Cancel editing, discards all changes."),
    gettext_noop("Edit layers"),
    gettext_noop("No layers to edit."),
    gettext_noop("Delete layers"),
    gettext_noop("No layers to delete."),
    gettext_noop("Drag handles, or marker to edit feature."),
    gettext_noop("Click cancel to undo changes."),
    gettext_noop("Click on a feature to remove"),
)

DJANGO_ADMIN = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)

DJANGO_AXES = (
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
)
