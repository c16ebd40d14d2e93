"""Schemas and converters shared by several resources."""

from collections.abc import Callable, Mapping
from datetime import datetime

import marshmallow as ma
from werkzeug.routing import BaseConverter, ValidationError

from webapi.resources import MAX_OFFSET, MAX_PAGE

INT64_MAX = 2**63 - 1


class Int64Converter(BaseConverter):
    """A non-negative 64-bit id in the path; anything larger simply does not match (404)."""

    regex = r"\d{1,19}"

    def to_python(self, value: str) -> int:
        """Parse and bound the id."""
        number = int(value)
        if number > INT64_MAX:
            raise ValidationError()
        return number

    def to_url(self, value: int) -> str:
        """Render the id."""
        return str(int(value))


INT64_SCHEMA = {"type": "integer", "format": "int64", "minimum": 0, "maximum": INT64_MAX}


def _nul_paths(value, path: str = "") -> list[str]:
    if isinstance(value, str):
        return [path or "_schema"] if "\x00" in value else []
    if isinstance(value, dict):
        return [
            p for key, item in value.items() for p in _nul_paths(item, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _nul_paths(item, f"{path}.{index}")]
    return []


# Patterns for OpenAPI (ECMA 262 and Python `re` read them alike). BLANK is every character
# str.isspace() is true for, i.e. what strip() and so the message rules treat as blank.
BLANK = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*[^\x00{BLANK}][^\x00]*$"
NO_BLANKS = rf"^[^\x00{BLANK}]+$"


class StrictSchema(ma.Schema):
    """Unknown fields are an error, not silently dropped; text may not contain NUL characters."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _refuse_nul(self, data, **kwargs):
        # Postgres cannot store U+0000 in text; refuse it here rather than fail at the database.
        paths = _nul_paths(data)
        if paths:
            message = "Text may not contain the NUL character (U+0000)."
            nul = {"code": "nul_character", "params": {}, "message": message}
            raise ma.ValidationError({path: [nul] for path in paths})
        return data


def _in_strict_schema(field: ma.fields.Field) -> bool:
    parent = field.parent
    while isinstance(parent, ma.fields.Field):
        parent = parent.parent
    return isinstance(parent, StrictSchema)


def _nul_free_text(converter, field: ma.fields.Field, ret: dict, **kwargs) -> dict:
    """apispec attribute function: a request string states that it may not contain NUL."""
    stated = "pattern" in ret or "enum" in ret
    if isinstance(field, ma.fields.String) and not stated and _in_strict_schema(field):
        return {"pattern": NO_NUL}
    return {}


def _null_means_null(converter, field: ma.fields.Field, ret: dict, **kwargs) -> dict:
    """apispec attribute function: a nullable object allows null, not any object.

    For OpenAPI 3.0 apispec writes a nullable reference as `anyOf: [{type: object, nullable: true},
    {$ref}]`, whose first branch takes `{}` too; `enum: [null]` narrows it to null alone.
    """
    for branch in ret.get("anyOf", []):
        if branch == {"type": "object", "nullable": True}:
            branch["enum"] = [None]
    return {}


def document_request_rules(api) -> None:
    """Teach the API's OpenAPI generator what StrictSchema refuses and what a nullable object allows."""
    api.ma_plugin.converter.add_attribute_function(_nul_free_text)
    api.ma_plugin.converter.add_attribute_function(_null_means_null)


class PageQuerySchema(StrictSchema):
    """offset/limit paging."""

    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=MAX_OFFSET))
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PAGE))


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A page of items with the total count."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "total": ma.fields.Integer(required=True),
            "offset": ma.fields.Integer(required=True),
            "limit": ma.fields.Integer(required=True),
        },
        name=name,
    )


def _dump_value(field: ma.fields.Field):
    """How `field` turns a present value into JSON, exactly as its own serialize() does."""
    kind = type(field)
    if kind is ma.fields.Integer and not field.as_string:
        return int
    if kind is ma.fields.String:
        return ma.utils.ensure_text_type
    if kind is ma.fields.Float and not field.as_string:
        return float
    if kind is ma.fields.Boolean:
        return bool  # as its own serialize() turns a bool (the only kind a mailing's row holds)
    if kind in (ma.fields.DateTime, ma.fields.AwareDateTime) and field.format in (None, "iso", "iso8601"):
        return datetime.isoformat
    if kind is ma.fields.Nested and not (field.many or field.schema.many or field.only or field.exclude):
        return dict_dumper(type(field.schema))
    if kind is ma.fields.List:
        inner = _dump_value(field.inner)
        return lambda values: [None if value is None else inner(value) for value in values]
    raise TypeError(f"{kind.__name__} {field.name!r}: no quick dump; use the schema")


def dict_dumper(schema: type[ma.Schema]) -> Callable[[Mapping], dict]:
    """What `schema().dump(item)` makes of a dict `item`, without marshmallow's per-value work.

    Built from the schema's own fields, so it follows the schema; a field or hook it cannot mirror
    exactly is refused when it is built (tests compare the two on real rows).
    """
    instance = schema()
    if any(instance._hooks[hook] for hook in ("pre_dump", "post_dump")):
        raise TypeError(f"{schema.__name__} has dump hooks; use the schema")
    fields = []
    for name, field in instance.dump_fields.items():
        if field.dump_default is not ma.missing:
            raise TypeError(f"{schema.__name__}.{name} has a dump default; use the schema")
        fields.append((field.data_key or name, field.attribute or name, _dump_value(field)))

    def dump(item: Mapping) -> dict:
        dumped = {}
        for key, attribute, value_of in fields:
            value = item.get(attribute, ma.missing)
            if value is not ma.missing:
                dumped[key] = None if value is None else value_of(value)
        return dumped

    return dump
