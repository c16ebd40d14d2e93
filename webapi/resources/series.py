"""Recurring mailings: a series' content and rule, its next run, pause, resume and end."""

import marshmallow as ma
from flask.views import MethodView

from webapi.auth import STAFF, require_role
from webapi.errors import ErrorSchema
from webapi.models import SERIES_STATUSES, Series
from webapi.resources import protected_blueprint
from webapi.resources.common import PageQuerySchema, StrictSchema, page_schema
from webapi.resources.mailings import (
    BUTTONS_DOC,
    NAME_DOC,
    TEXT_DOC,
    ButtonSchema,
    IdempotencyHeadersSchema,
    MediaSchema,
    text_format_field,
)
from webapi.resources.segments import SEGMENT_DOC, SegmentSchema, SegmentViewSchema
from webapi.series_rules import COUNT_LIMIT, KINDS, TIME_PATTERN
from webapi.services import series as service

blp = protected_blueprint(
    "series", __name__, "/api/v1/series", "Recurring mailings: each occurrence is a mailing of its own."
)

RULE_DOC = (
    "When it runs, at `time` (HH:MM) in TIMEZONE's wall time, which stays put across daylight saving "
    "changes: `daily`; `weekdays` on the chosen days (0 = Monday … 6 = Sunday); `monthly` on `day` "
    "(a day past a shorter month's end runs on its last day). It ends after `until` (a local date, "
    "inclusive) or after `count` runs, whichever comes first; with neither, it runs until ended. "
    "A time the clocks skip runs later by the gap (02:30 → 03:30); a time that happens twice runs at "
    "the first."
)
INVALID = (
    "Invalid fields (validation_error): content problems as for a mailing, rule problems under "
    '`rule` as {"rule": {field: [{"code", "params", "message"}]}} (rule_kind_unknown, '
    "rule_time_invalid, rule_weekdays_missing, rule_day_missing, rule_until_past, rule_never_runs …)."
)


class RuleSchema(StrictSchema):
    """A repeat rule as sent; the rules (webapi/series_rules.py) judge the values."""

    kind = ma.fields.String(required=True, metadata={"enum": list(KINDS)})
    time = ma.fields.String(
        required=True, metadata={"pattern": TIME_PATTERN, "description": "HH:MM, 24-hour, local"}
    )
    weekdays = ma.fields.List(
        ma.fields.Integer(strict=True, metadata={"minimum": 0, "maximum": 6}),
        metadata={"maxItems": 7, "description": "For `weekdays`: 0 = Monday … 6 = Sunday."},
    )
    day = ma.fields.Integer(
        strict=True, allow_none=True, metadata={"minimum": 1, "maximum": 31, "description": "For `monthly`."}
    )
    until = ma.fields.Date(allow_none=True, metadata={"description": "The last local date that may run."})
    count = ma.fields.Integer(
        strict=True,
        allow_none=True,
        metadata={"minimum": 1, "maximum": COUNT_LIMIT, "description": "How many runs in all."},
    )


class RuleViewSchema(ma.Schema):
    """A stored rule."""

    kind = ma.fields.String(required=True)
    time = ma.fields.String(required=True)
    weekdays = ma.fields.List(ma.fields.Integer(), required=True)
    day = ma.fields.Integer(allow_none=True, required=True)
    until = ma.fields.Date(allow_none=True, required=True)
    count = ma.fields.Integer(allow_none=True, required=True)


class SeriesFieldsSchema(StrictSchema):
    """A series' content (as a mailing's) and rule."""

    name = ma.fields.String(metadata=NAME_DOC)
    text = ma.fields.String(metadata=TEXT_DOC)
    text_format = text_format_field()
    buttons = ma.fields.List(ma.fields.Nested(ButtonSchema), metadata=BUTTONS_DOC)
    media = ma.fields.Nested(MediaSchema, allow_none=True)
    segment = ma.fields.Nested(SegmentSchema, allow_none=True, metadata={"description": SEGMENT_DOC})
    rule = ma.fields.Nested(RuleSchema, metadata={"description": RULE_DOC})
    starts_on = ma.fields.Date(
        metadata={"description": "The first local date it may run on (default: today in TIMEZONE)."}
    )


class SeriesCreateSchema(SeriesFieldsSchema):
    """A new series."""

    name = ma.fields.String(required=True, metadata=NAME_DOC)
    text = ma.fields.String(required=True, metadata=TEXT_DOC)
    rule = ma.fields.Nested(RuleSchema, required=True, metadata={"description": RULE_DOC})


class SeriesPatchSchema(SeriesFieldsSchema):
    """Changes to a series (its runs not yet started are made again), with the version they answer."""

    version = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=2**31 - 1))


class RunSchema(ma.Schema):
    """A run of the series that has not started yet."""

    id = ma.fields.Integer(required=True, metadata={"format": "int64"})
    send_at = ma.fields.AwareDateTime(required=True)


class SeriesSchema(ma.Schema):
    """A series as the API shows it."""

    id = ma.fields.Integer(required=True, metadata={"format": "int64"})
    name = ma.fields.String(required=True)
    text = ma.fields.String(required=True)
    buttons = ma.fields.List(ma.fields.Nested(ButtonSchema), required=True)
    media = ma.fields.Nested(MediaSchema, allow_none=True, required=True)
    segment = ma.fields.Nested(
        SegmentViewSchema, allow_none=True, required=True, metadata={"description": SEGMENT_DOC}
    )
    rule = ma.fields.Nested(RuleViewSchema, required=True)
    starts_on = ma.fields.Date(required=True)
    timezone = ma.fields.String(required=True, metadata={"description": "The zone of the rule's time."})
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(SERIES_STATUSES))
    runs_made = ma.fields.Integer(
        required=True, metadata={"description": "Runs made so far (against count)."}
    )
    next_run_at = ma.fields.AwareDateTime(
        allow_none=True,
        required=True,
        metadata={
            "description": "When it next sends: its earliest run not started, or the rule's next time."
        },
    )
    scheduled_runs = ma.fields.List(ma.fields.Nested(RunSchema), required=True)
    author_tg_id = ma.fields.Integer(allow_none=True, metadata={"format": "int64"})
    created_by = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)
    ended_at = ma.fields.AwareDateTime(allow_none=True, required=True)


class SeriesQuerySchema(PageQuerySchema):
    """Filters for the series list."""

    status = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(SERIES_STATUSES)), load_default=list)


SeriesPageSchema = page_schema(SeriesSchema, "SeriesPage")

SERIES_EXAMPLE = {
    "name": "Morning digest",
    "text": "<b>Good morning!</b> Today's news is in.",
    "buttons": [{"text": "Read", "url": "https://example.com/news"}],
    "media": None,
    "rule": {"kind": "weekdays", "weekdays": [0, 2, 4], "time": "09:00", "until": None, "count": 12},
}


def view(series: Series) -> dict:
    """The series with its rule, its runs not yet started and its next run."""
    runs = service.scheduled_runs(series.id)
    return {
        "id": series.id,
        "name": series.name,
        "text": series.text,
        "buttons": series.buttons or [],
        "media": series.media,
        "segment": series.segment,
        "rule": service.rule_of(series).as_dict(),
        "starts_on": series.starts_on,
        "timezone": series.timezone,
        "status": series.status,
        "runs_made": series.runs_made,
        "next_run_at": runs[0].send_at if runs else service.next_run_at(series),
        "scheduled_runs": [{"id": run.id, "send_at": run.send_at} for run in runs],
        "author_tg_id": series.author_tg_id,
        "created_by": series.created_by,
        "version": series.version,
        "created_at": series.created_at,
        "updated_at": series.updated_at,
        "ended_at": series.ended_at,
    }


@blp.route("")
class SeriesList(MethodView):
    """The series."""

    @blp.arguments(SeriesQuerySchema, location="query")
    @blp.response(200, SeriesPageSchema)
    def get(self, query):
        """List series, newest first, each with its next run."""
        require_role(*STAFF)
        items, total = service.list_series(query["status"], query["offset"], query["limit"])
        page = {"total": total, "offset": query["offset"], "limit": query["limit"]}
        return {"items": [view(s) for s in items], **page}

    @blp.arguments(SeriesCreateSchema, example=SERIES_EXAMPLE)
    @blp.arguments(IdempotencyHeadersSchema, location="headers")
    @blp.response(201, SeriesSchema)
    @blp.alt_response(
        200, schema=SeriesSchema, description="A repeat of a request with the same Idempotency-Key."
    )
    @blp.alt_response(422, schema=ErrorSchema, description=INVALID + " Also idempotency_key_reused.")
    def post(self, body, headers):
        """Create a recurring mailing; its runs within the next day are made at once.

        An `Idempotency-Key` header makes the request safe to repeat, as for mailings: the same key and
        body again answer 200 with the series the first request made; the same key with another body
        answers 422 `idempotency_key_reused` with that series' id in `details`.
        """
        actor = require_role(*STAFF)
        key = headers.get("idempotency_key")
        earlier = service.replayed_series(actor, body, key) if key else None
        if earlier is not None:
            return view(earlier), 200
        return view(service.create_series(actor, body, idempotency_key=key))


@blp.route("/<int64:series_id>")
class SeriesItem(MethodView):
    """One series."""

    @blp.response(200, SeriesSchema)
    def get(self, series_id):
        """Read a series with its next run."""
        require_role(*STAFF)
        return view(service.get_series(series_id))

    @blp.arguments(SeriesPatchSchema)
    @blp.response(200, SeriesSchema)
    @blp.alt_response(422, schema=ErrorSchema, description=INVALID)
    def patch(self, changes, series_id):
        """Change an active or paused series (future runs only); a stale version answers 409."""
        actor = require_role(*STAFF)
        version = changes.pop("version")
        return view(service.update_series(actor, series_id, version, changes))


@blp.route("/<int64:series_id>/pause")
class PauseSeries(MethodView):
    """Pausing."""

    @blp.response(200, SeriesSchema)
    def post(self, series_id):
        """Pause an active series: its runs not yet started are removed, none are made until resumed."""
        actor = require_role(*STAFF)
        return view(service.pause_series(actor, series_id))


@blp.route("/<int64:series_id>/resume")
class ResumeSeries(MethodView):
    """Resuming."""

    @blp.response(200, SeriesSchema)
    def post(self, series_id):
        """Resume a paused series from its next time after now (times missed while paused are skipped)."""
        actor = require_role(*STAFF)
        return view(service.resume_series(actor, series_id))


@blp.route("/<int64:series_id>/end")
class EndSeries(MethodView):
    """Ending."""

    @blp.response(200, SeriesSchema)
    def post(self, series_id):
        """End a series for good: its runs not yet started are removed, its past runs stay."""
        actor = require_role(*STAFF)
        return view(service.end_series(actor, series_id))
