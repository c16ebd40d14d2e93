"""Schemas and converters shared by several resources."""

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


class StrictSchema(ma.Schema):
    """Unknown fields are an error, not silently dropped; text may not contain NUL characters."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _refuse_nul(self, data, **kwargs):
        # Postgres cannot store U+0000 in text; refuse it here rather than fail at the database.
        paths = _nul_paths(data)
        if paths:
            raise ma.ValidationError(
                {path: ["Text may not contain the NUL character (U+0000)."] for path in paths}
            )
        return data


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
