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


class StrictSchema(ma.Schema):
    """Unknown fields are an error, not silently dropped."""

    class Meta:
        unknown = ma.RAISE


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
