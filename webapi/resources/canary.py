"""A mailing's canary as the API takes and shows it, and why a paused mailing paused."""

import marshmallow as ma

from webapi.resources.common import StrictSchema
from webapi.services import auto_pause
from webapi.services import canary as rules

CANARY_DOC = (
    "Send to a random sample first: `percent` of the audience or `count` people (one of them), wait "
    f"`wait_minutes` (default {rules.DEFAULT_WAIT_MINUTES:g}) after the sample's last send, then send the "
    "rest, unless more than `max_failure_share` (default "
    f"{rules.DEFAULT_MAX_FAILURE_SHARE:g}) of the sample's sends failed, were blocked or are in doubt: "
    "then the mailing pauses and the staff hear why. Null: no canary."
)


class CanarySchema(StrictSchema):
    """A canary's settings: its size (percent or count), the wait and the failure share allowed."""

    percent = ma.fields.Float(
        validate=ma.validate.Range(min=0, min_inclusive=False, max=rules.MAX_PERCENT),
        metadata={"description": "The sample's share of the audience, in per cent (at least one person)."},
    )
    count = ma.fields.Integer(
        strict=True,
        validate=ma.validate.Range(min=1, max=rules.MAX_COUNT),
        metadata={"description": "The sample's size in people (at most the whole audience)."},
    )
    wait_minutes = ma.fields.Float(
        validate=ma.validate.Range(min=0, max=rules.MAX_WAIT_MINUTES),
        metadata={"description": "Minutes between the sample's last send and the rest (0: at once)."},
    )
    max_failure_share = ma.fields.Float(
        validate=ma.validate.Range(min=0, max=1),
        metadata={
            "description": "The most of the sample's sends (failed + blocked + unknown) that may go wrong, "
            "0–1; above it the mailing pauses."
        },
    )

    @ma.validates_schema
    def _one_size(self, data, **kwargs):
        if "percent" in data and "count" in data:
            raise ma.ValidationError("Give the sample as percent or as count, not both.", "count")
        if "percent" not in data and "count" not in data:
            raise ma.ValidationError("Give the sample's size: percent or count.", "percent")


class CanaryViewSchema(ma.Schema):
    """A mailing's canary as stored: its size, the wait and the failure share allowed."""

    percent = ma.fields.Float()
    count = ma.fields.Integer()
    wait_minutes = ma.fields.Float(required=True)
    max_failure_share = ma.fields.Float(required=True)


class PauseErrorSchema(ma.Schema):
    """One of the most common errors behind a pause."""

    error = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)


class PauseReasonSchema(ma.Schema):
    """Why a paused mailing paused: staff (`manual`), its canary, or its own failing sends (`auto_pause`)."""

    code = ma.fields.String(required=True, validate=ma.validate.OneOf(auto_pause.PAUSE_CODES))
    sends = ma.fields.Integer(metadata={"description": "Sends judged: the sample's, or the recent ones"})
    failed = ma.fields.Integer()
    blocked = ma.fields.Integer(metadata={"description": "Canary only"})
    unknown = ma.fields.Integer(metadata={"description": "Canary only"})
    share = ma.fields.Float(metadata={"description": "The share of those sends that went wrong"})
    max_failure_share = ma.fields.Float(metadata={"description": "The share allowed"})
    errors = ma.fields.List(
        ma.fields.Nested(PauseErrorSchema), metadata={"description": "The most common errors, most first"}
    )
