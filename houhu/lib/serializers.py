"""Two costs of DRF's ModelSerializer that every request paid, cut without changing an
answer: reading model columns straight off the row (`DirectColumnReads`), and building the
fields from the model once per class instead of once per serializer (`FieldsBuiltOnce`).

Reading model columns straight off the row in DRF serializers' lists:

DRF's `Serializer.to_representation` asks every field to find its value through
`get_attribute`: a walk over `source_attrs` with a callable check at each step, and, for a
related field, a stand-in object holding the primary key. For a list of 100 reports of 35
fields that is 3,500 walks, a fifth of the list's time (issue 12, measured in
bench/bench_service.py's report list). A field whose source is one concrete column of the
model cannot find anything else there: for those this reads the attribute directly (the
foreign key's `<name>_id` for a primary-key related field) and leaves every other field
to DRF. Values then go through the field's own `to_representation`, as in DRF, so the
answer is the same to the byte (tests/lib/test_serializers.py compares them).

Hand-written because DRF has no switch for it and the fast-serializer libraries
(serpy, drf-serializer-prefetch…) replace the serializer, losing the schema drf-spectacular
builds from these classes.
"""

from __future__ import annotations

import copy
from functools import cached_property
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from rest_framework import relations, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

# How a field's value is read: a plain column or a foreign key's id straight off the row
# (with its attribute name), or DRF's own walk.
_COLUMN, _FOREIGN_KEY, _DRF = "column", "fk", "drf"


def _plan_for(field: serializers.Field, model) -> tuple[str, str | None]:
    if isinstance(field, serializers.SerializerMethodField) or len(field.source_attrs) != 1:
        return _DRF, None
    try:
        column = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return _DRF, None
    if not column.concrete or column.many_to_many:
        return _DRF, None
    if column.is_relation:
        # Only the plain primary key of a foreign key, as DRF's pk-only optimisation gives.
        if isinstance(field, relations.PrimaryKeyRelatedField) and field.pk_field is None:
            return _FOREIGN_KEY, column.attname
        return _DRF, None
    return _COLUMN, column.attname


class DirectColumnReads:
    """Mixin for a ModelSerializer (first in the bases): reads plain columns directly."""

    @cached_property
    def _read_plan(self) -> list[tuple[serializers.Field, str, str | None]]:
        # Once per serializer instance: a list's one child serves every row.
        model = self.Meta.model
        return [(field, *_plan_for(field, model)) for field in self._readable_fields]

    def to_representation(self, instance) -> dict[str, Any]:
        ret: dict[str, Any] = {}
        for field, how, attname in self._read_plan:
            if how == _FOREIGN_KEY:
                ret[field.field_name] = getattr(instance, attname)
                continue
            if how == _COLUMN:
                attribute = getattr(instance, attname)
            else:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[field.field_name] = None if check is None else field.to_representation(attribute)
        return ret


# Fields that hold other fields (a nested serializer, a list's child bound to its list):
# copied deeply, as DRF does, so that each copy's children are bound to it.
_HOLDS_FIELDS = (
    serializers.BaseSerializer,
    serializers.ListField,
    serializers.DictField,
    serializers.HStoreField,
    relations.ManyRelatedField,
)


def _field_copy(field: serializers.Field) -> serializers.Field:
    """A copy of an unbound field for one serializer. DRF's own `Field.__deepcopy__` calls
    the field's `__init__` again with deep copies of its arguments (the choices, the error
    messages): most of the cost the template was meant to save. A leaf field's state is
    its attributes, set once in `__init__` and by `bind`, so a shallow copy is a field of
    its own once `bind` runs on it; its validators get a list of their own, the one
    container a serializer changes in place (PhotosMixin appends to it)."""
    if isinstance(field, _HOLDS_FIELDS):
        return copy.deepcopy(field)
    clone = copy.copy(field)
    clone.validators = list(field.validators)
    return clone


class FieldsBuiltOnce:
    """Mixin for a serializer whose fields do not depend on the request (first in the
    bases): builds them once per class, and gives each serializer copies of its own.

    DRF's `ModelSerializer.get_fields` rebuilds every model field on every instantiation
    (the model field's validators, choices and limits read again through
    `get_field_kwargs`): a sixth of a report submission's Python time in the profile
    (issue 12); a plain Serializer deep-copies its declared fields, which calls each
    field's `__init__` again (`_field_copy`). A class that picks its fields per request
    must not use this; one that changes a field per instance in place (other than
    appending a validator) must change a copy it made.
    """

    def get_fields(self):
        cls = type(self)
        # The class's own entry: a subclass (more fields) builds its own.
        template = cls.__dict__.get("_fields_built_once")
        if template is None:
            template = super().get_fields()
            cls._fields_built_once = template
        return {name: _field_copy(field) for name, field in template.items()}
