"""A mailing's segment as the API takes and shows it (the rules themselves: webapi/segments.py)."""

import marshmallow as ma

from webapi import segments
from webapi.models import ROLES
from webapi.resources.common import StrictSchema

SEGMENT_DOC = (
    "Who of the active subscribers get the mailing: every condition given must hold (null or {}: all "
    "of them). Languages match the first part of Telegram's language_code (`en` takes `en-GB`); "
    "a source is a /start payload of an invite link (the users it brought carry the tag `src:<source>`)."
)


def tag_rule(value: str) -> None:
    if not segments.is_tag(value):
        raise ma.ValidationError(f"Not a tag: {segments.TAG_RULE}.")


def source_rule(value: str) -> None:
    if not segments.is_source(value):
        raise ma.ValidationError(f"Not a source: {segments.SOURCE_RULE}.")


def _language(value: str) -> None:
    if segments.LANGUAGE.fullmatch(value.lower()) is None:
        raise ma.ValidationError("Not a language code: 2 or 3 letters, such as en or ru.")


def _values(validate, doc: str, pattern: str | None = None) -> ma.fields.List:
    item = ma.fields.String(validate=validate, metadata={"pattern": pattern} if pattern else {})
    return ma.fields.List(
        item,
        validate=ma.validate.Length(max=segments.LIST_LIMIT),
        metadata={"description": doc, "maxItems": segments.LIST_LIMIT},
    )


TAG_PATTERN = r"^[\w:.\-]{1,64}$"
SOURCE_PATTERN = r"^[A-Za-z0-9_\-]{1,64}$"


class SegmentSchema(StrictSchema):
    """Conditions on the active subscribers; each list holds alternatives."""

    languages = _values(_language, "Any of these languages.", r"^[A-Za-z]{2,3}$")
    roles = _values(ma.validate.OneOf(ROLES), "Any of these roles.")
    tags_any = _values(tag_rule, "At least one of these tags.", TAG_PATTERN)
    tags_all = _values(tag_rule, "Every one of these tags.", TAG_PATTERN)
    tags_none = _values(tag_rule, "None of these tags.", TAG_PATTERN)
    sources = _values(source_rule, "Came through any of these invite links.", SOURCE_PATTERN)
    subscribed_after = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "Subscribed at or after this moment."}
    )
    subscribed_before = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "Subscribed before this moment."}
    )

    @ma.validates_schema
    def _a_period(self, data, **kwargs):
        after, before = data.get("subscribed_after"), data.get("subscribed_before")
        if after is not None and before is not None and after >= before:
            raise ma.ValidationError("Must be later than subscribed_after.", "subscribed_before")


class SegmentViewSchema(ma.Schema):
    """A stored segment: only the conditions it has."""

    languages = ma.fields.List(ma.fields.String())
    roles = ma.fields.List(ma.fields.String())
    tags_any = ma.fields.List(ma.fields.String())
    tags_all = ma.fields.List(ma.fields.String())
    tags_none = ma.fields.List(ma.fields.String())
    sources = ma.fields.List(ma.fields.String())
    subscribed_after = ma.fields.String(metadata={"format": "date-time"})
    subscribed_before = ma.fields.String(metadata={"format": "date-time"})


class AudienceQuerySchema(StrictSchema):
    """A segment to count."""

    segment = ma.fields.Nested(
        SegmentSchema, allow_none=True, load_default=None, metadata={"description": SEGMENT_DOC}
    )


class AudienceSchema(ma.Schema):
    """How many would get a mailing with this segment, were it sent now."""

    count = ma.fields.Integer(required=True, metadata={"description": "Active subscribers in the segment."})
    total = ma.fields.Integer(required=True, metadata={"description": "Active subscribers in all."})
    segment = ma.fields.Nested(SegmentViewSchema, allow_none=True, required=True)
