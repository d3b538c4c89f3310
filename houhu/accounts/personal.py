"""The serializer side of `scopes.PERSONAL_DATA`: the fields of a shape that name a person
are shown whole, masked or as null, as the table says for the reader. A serializer says
which of its fields are names and phones and whose they are; it decides nothing itself."""

from __future__ import annotations

from typing import Any

from . import scopes
from .scopes import Whose


class PersonalFields:
    """Mixin for a DRF serializer given the request in its context (no request: a reader
    who sees nothing). A GeoJSON feature's fields are in its `properties`."""

    name_fields: tuple[str, ...] = ()
    # Phones, and links to files showing the person (a signed sheet): whole, or null.
    phone_fields: tuple[str, ...] = ()

    def whose(self, obj: Any, user) -> Whose:
        raise NotImplementedError

    def to_representation(self, obj: Any) -> dict:
        data = super().to_representation(obj)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        whose = self.whose(obj, user)
        fields = data["properties"] if data.get("type") == "Feature" else data
        for name in self.name_fields:
            fields[name] = scopes.shown_name(user, whose, fields.get(name))
        for name in self.phone_fields:
            fields[name] = scopes.shown_phone(user, whose, fields.get(name))
        return data
