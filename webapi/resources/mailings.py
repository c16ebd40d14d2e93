"""Mailings: create, list, read, change, delete, validate a draft, stats and the delivery ledger."""

import marshmallow as ma
from flask import current_app, jsonify
from flask.views import MethodView

from webapi import message_rules as rules
from webapi import segments
from webapi.auth import STAFF, require_role
from webapi.errors import ErrorSchema, ProblemSchema
from webapi.models import DELIVERY_STATUSES, MAILING_STATUSES
from webapi.resources import protected_blueprint
from webapi.resources.canary import CANARY_DOC, CanarySchema, CanaryViewSchema, PauseReasonSchema
from webapi.resources.clicks import ClicksSchema
from webapi.resources.common import (
    BLANK,
    NO_BLANKS,
    NOT_BLANK,
    PageQuerySchema,
    StrictSchema,
    dict_dumper,
    page_schema,
)
from webapi.resources.segments import (
    SEGMENT_DOC,
    AudienceQuerySchema,
    AudienceSchema,
    SegmentSchema,
    SegmentViewSchema,
)
from webapi.services import clicks, ledger, retention
from webapi.services import mailings as service

blp = protected_blueprint("mailings", __name__, "/api/v1/mailings", "Mailings and their delivery ledger.")

PRUNED_DOC = (
    "When the per-recipient delivery rows were removed, DELIVERY_RETENTION_DAYS after the mailing "
    "ended; null while they are kept."
)


# What the document states of a mailing's fields. The message rules (webapi.message_rules) enforce
# these and more: Telegram HTML, the text's visible length (which may be 0 with media), a send time
# in the future, a link's host. Those a schema cannot state answer 422 with the rules' own words.
LINK = rf"^(?:[Hh][Tt][Tt][Pp][Ss]?|[Tt][Gg])://[^\x00{BLANK}]+$"
NAME_DOC = {
    "minLength": 1,
    "maxLength": rules.NAME_LIMIT,
    "pattern": NOT_BLANK,
    "description": "An internal name for staff, not blank.",
}
TEXT_DOC = {
    "description": "Telegram HTML (its tags only; escape any other <, > and &), or text read as "
    f"`text_format` says: 1–{rules.TEXT_LIMIT} characters once the tags are removed, or empty with media."
}
TEXT_FORMAT_DOC = {
    "description": "How to read `text`: `html` (the default) as Telegram HTML, refused if it does not "
    "parse; `plain` as plain text, escaped so subscribers see exactly what was typed; `auto` as HTML "
    "when it parses cleanly and holds tags or entities, else as plain text. The mailing stores HTML."
}


def text_format_field() -> ma.fields.String:
    """The optional `text_format` a request with a text may carry."""
    return ma.fields.String(validate=ma.validate.OneOf(rules.TEXT_FORMATS), metadata=TEXT_FORMAT_DOC)


SEND_AT_DOC = {"description": "ISO 8601 with a UTC offset, in the future."}
BUTTONS_DOC = {"maxItems": rules.BUTTONS_LIMIT}


class DraftButtonSchema(StrictSchema):
    """A URL button as typed, before the message rules judge it."""

    text = ma.fields.String(required=True)
    url = ma.fields.String(required=True)


class ButtonSchema(StrictSchema):
    """A URL button; the list order is the order subscribers see."""

    text = ma.fields.String(
        required=True,
        metadata={
            "minLength": 1,
            "maxLength": rules.BUTTON_TEXT_LIMIT,
            "pattern": NOT_BLANK,
            "description": f"Not blank; at most {rules.BUTTON_TEXT_LIMIT} UTF-16 code units.",
        },
    )
    url = ma.fields.String(
        required=True,
        metadata={
            "maxLength": rules.URL_LIMIT,
            "pattern": LINK,
            "description": "An http://, https:// or tg:// link without spaces; an http(s) link has a host.",
        },
    )


class DraftMediaSchema(StrictSchema):
    """An attachment as typed, before the message rules judge it."""

    type = ma.fields.String(required=True)
    file_id = ma.fields.String(required=True)


class MediaSchema(StrictSchema):
    """One attachment: a Telegram file_id or an http(s) URL."""

    type = ma.fields.String(required=True, metadata={"enum": list(rules.MEDIA_TYPES)})
    file_id = ma.fields.String(
        required=True,
        metadata={
            "maxLength": rules.URL_LIMIT,
            "pattern": NO_BLANKS,
            "description": f"A Telegram file_id (at most {rules.FILE_ID_LIMIT} characters) "
            "or an http(s) link to the file.",
        },
    )


class DraftSchema(StrictSchema):
    """Any subset of a mailing's fields, for checking without saving: any values, the rules judge them."""

    name = ma.fields.String()
    text = ma.fields.String()
    text_format = text_format_field()
    send_at = ma.fields.AwareDateTime(metadata={"description": "ISO 8601 with a UTC offset"})
    buttons = ma.fields.List(ma.fields.Nested(DraftButtonSchema))
    media = ma.fields.Nested(DraftMediaSchema, allow_none=True)


class MailingFieldsSchema(StrictSchema):
    """A mailing's fields, each with what the schema can state of the message rules."""

    name = ma.fields.String(metadata=NAME_DOC)
    text = ma.fields.String(metadata=TEXT_DOC)
    text_format = text_format_field()
    send_at = ma.fields.AwareDateTime(metadata=SEND_AT_DOC)
    buttons = ma.fields.List(ma.fields.Nested(ButtonSchema), metadata=BUTTONS_DOC)
    media = ma.fields.Nested(MediaSchema, allow_none=True)
    segment = ma.fields.Nested(SegmentSchema, allow_none=True, metadata={"description": SEGMENT_DOC})
    canary = ma.fields.Nested(CanarySchema, allow_none=True, metadata={"description": CANARY_DOC})


class MailingCreateSchema(MailingFieldsSchema):
    """A new mailing."""

    name = ma.fields.String(required=True, metadata=NAME_DOC)
    text = ma.fields.String(required=True, metadata=TEXT_DOC)
    send_at = ma.fields.AwareDateTime(required=True, metadata=SEND_AT_DOC)


class MailingPatchSchema(MailingFieldsSchema):
    """Changes to a scheduled mailing, with the version they were made against."""

    version = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=2**31 - 1))


class ApprovalSchema(ma.Schema):
    """Whether a mailing needs a second person's approval before it starts, and who gave it."""

    required = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "Its audience, when it was last saved, was above APPROVAL_THRESHOLD: it starts "
            "only once approved (POST /mailings/{id}/approve)."
        },
    )
    approved_by = ma.fields.Integer(
        allow_none=True,
        required=True,
        metadata={"format": "int64", "description": "The approver's Telegram id (null for an API client)."},
    )
    approved_at = ma.fields.AwareDateTime(
        allow_none=True,
        required=True,
        metadata={"description": "When it was approved; null until then, and again after a change to it."},
    )


class MailingSchema(ma.Schema):
    """A mailing as the API shows it."""

    id = ma.fields.Integer(required=True, metadata={"format": "int64"})
    name = ma.fields.String(required=True)
    text = ma.fields.String(required=True)
    send_at = ma.fields.AwareDateTime(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(MAILING_STATUSES))
    buttons = ma.fields.List(ma.fields.Nested(ButtonSchema), required=True)
    media = ma.fields.Nested(MediaSchema, allow_none=True, required=True)
    segment = ma.fields.Nested(
        SegmentViewSchema, allow_none=True, required=True, metadata={"description": SEGMENT_DOC}
    )
    author_tg_id = ma.fields.Integer(allow_none=True, metadata={"format": "int64"})
    created_by = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)
    started_at = ma.fields.AwareDateTime(allow_none=True)
    finished_at = ma.fields.AwareDateTime(allow_none=True)
    deliveries_pruned_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": PRUNED_DOC})
    canary = ma.fields.Nested(CanaryViewSchema, allow_none=True, metadata={"description": CANARY_DOC})
    canary_until = ma.fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "When the canary's sample finished plus its wait: the rest is judged then."},
    )
    canary_passed_at = ma.fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "When the rest of the audience was let go after the sample."},
    )
    pause_reason = ma.fields.Nested(
        PauseReasonSchema,
        allow_none=True,
        metadata={"description": "Why a paused mailing paused; null unless paused."},
    )
    series_id = ma.fields.Integer(
        allow_none=True,
        metadata={
            "format": "int64",
            "description": "The recurring series this mailing is a run of, or null.",
        },
    )
    approval = ma.fields.Nested(ApprovalSchema, required=True)


class MailingQuerySchema(PageQuerySchema):
    """Filters for the mailing list."""

    status = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(MAILING_STATUSES)), load_default=list)
    order = ma.fields.String(
        load_default="send_at",
        validate=ma.validate.OneOf(service.LIST_ORDERS),
        metadata={"description": "`send_at` (the default): soonest first; `-send_at`: latest first."},
    )


class ValidationResultSchema(ma.Schema):
    """The rules' verdict on a draft; with a text, also the HTML it becomes and the format it was read in."""

    valid = ma.fields.Boolean(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.Nested(ProblemSchema)),
        required=True,
        metadata={"description": "Problems by field, each with a stable code, its params and a message"},
    )
    text = ma.fields.String(metadata={"description": "The text as the mailing would store it: Telegram HTML"})
    text_format = ma.fields.String(
        validate=ma.validate.OneOf(("html", "plain")),
        metadata={"description": "How the text was read: as HTML, or as plain text (escaped)"},
    )
    html_problem = ma.fields.Nested(
        ProblemSchema,
        allow_none=True,
        metadata={
            "description": "With `auto`: why a text with something tag-like in it was read as plain text"
        },
    )


class ProgressSchema(ma.Schema):
    """How far sending has come."""

    done = ma.fields.Integer(required=True, metadata={"description": "Deliveries in a final state"})
    pending = ma.fields.Integer(
        required=True,
        metadata={"description": "Deliveries pending or in flight, and the audience still to be fanned out"},
    )
    to_come = ma.fields.Integer(
        required=True,
        metadata={"description": "Active users the fan-out has yet to add to the ledger (0 once it is done)"},
    )
    rate = ma.fields.Float(required=True, metadata={"description": "Average messages per second so far"})
    elapsed = ma.fields.Float(required=True, metadata={"description": "Seconds since the start"})
    eta = ma.fields.Float(
        allow_none=True, required=True, metadata={"description": "Seconds left; null when unknown"}
    )


class StatsSchema(ma.Schema):
    """Delivery counts per status, and progress."""

    mailing_id = ma.fields.Integer(required=True, metadata={"format": "int64"})
    status = ma.fields.String(required=True)
    total = ma.fields.Integer(required=True)
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    progress = ma.fields.Nested(ProgressSchema, required=True)
    deliveries_pruned_at = ma.fields.AwareDateTime(
        allow_none=True,
        required=True,
        metadata={"description": PRUNED_DOC + " Once set, the counts are those kept on the mailing."},
    )
    clicks = ma.fields.Nested(
        ClicksSchema,
        metadata={"description": "Clicks on URL buttons: there when PUBLIC_URL is set or any were counted"},
    )


class DeliverySchema(ma.Schema):
    """One ledger row."""

    id = ma.fields.Integer(required=True, metadata={"format": "int64"})
    user_id = ma.fields.Integer(required=True, metadata={"format": "int64"})
    chat_id = ma.fields.Integer(allow_none=True, metadata={"format": "int64"})
    status = ma.fields.String(required=True)
    attempts = ma.fields.Integer(required=True)
    message_id = ma.fields.Integer(allow_none=True, metadata={"format": "int64"})
    last_error = ma.fields.String(allow_none=True)
    sent_at = ma.fields.AwareDateTime(allow_none=True)
    updated_at = ma.fields.AwareDateTime(required=True)


class DeliveryQuerySchema(PageQuerySchema):
    """Filters for the ledger."""

    status = ma.fields.String(validate=ma.validate.OneOf(DELIVERY_STATUSES))


MailingPageSchema = page_schema(MailingSchema, "MailingPage")
# GET /mailings dumps each listed mailing with this instead of the schema: the same JSON, several
# times cheaper, on the API's busiest read (tests compare the two).
dump_listed_mailing = dict_dumper(MailingSchema)


class DeliveryPageSchema(page_schema(DeliverySchema, "DeliveryPage")):
    """A page of the ledger; empty, with `pruned_at`, once the mailing's rows were pruned."""

    pruned_at = ma.fields.AwareDateTime(
        allow_none=True,
        required=True,
        metadata={"description": PRUNED_DOC + " Then `items` is empty and `total` 0; /stats has the counts."},
    )


class IdempotencyHeadersSchema(ma.Schema):
    """The optional header that makes creating a mailing safe to repeat."""

    class Meta:
        unknown = ma.EXCLUDE  # every other header is none of our business

    idempotency_key = ma.fields.String(
        data_key="Idempotency-Key",
        validate=ma.validate.Regexp(r"^[A-Za-z0-9_.:-]{8,128}$"),
        metadata={"description": "8–128 characters of A–Z, a–z, 0–9, `_ . : -`; a UUID is ideal."},
    )


INVALID = (
    "Invalid fields (validation_error), with the message rules' verdict per field in `details` as "
    '{field: [{"code", "params", "message"}]}: also for what a schema cannot state, such as Telegram '
    "HTML or a send time in the past."
)


def _operation(path: str, method: str) -> str:
    """An OpenAPI link's operationRef to one operation of this API."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _mailing_links() -> dict:
    """OpenAPI links from a mailing in a response to every operation on that mailing."""
    item = "/api/v1/mailings/{mailing_id}"
    targets = {
        "GetMailing": (item, "get"),
        "ChangeMailing": (item, "patch"),
        "DeleteMailing": (item, "delete"),
        "GetMailingStats": (f"{item}/stats", "get"),
        "ListMailingDeliveries": (f"{item}/deliveries", "get"),
        "TestSendMailing": (f"{item}/test", "post"),
        "SendMailingNow": (f"{item}/send-now", "post"),
        "PauseMailing": (f"{item}/pause", "post"),
        "ResumeMailing": (f"{item}/resume", "post"),
        "CancelMailing": (f"{item}/cancel", "post"),
        "RetryMailing": (f"{item}/retry", "post"),
        "ApproveMailing": (f"{item}/approve", "post"),
        "DuplicateMailing": (f"{item}/duplicate", "post"),
        "GetMailingNotReached": (f"{item}/not-reached", "get"),
    }
    links = {
        name: {"operationRef": _operation(path, method), "parameters": {"mailing_id": "$response.body#/id"}}
        for name, (path, method) in targets.items()
    }
    links["ChangeMailing"]["requestBody"] = {"version": "$response.body#/version"}
    return links


MAILING_LINKS = _mailing_links()
# A draft that passes every rule (Swagger UI's "Try it out" starts from it).
MAILING_EXAMPLE = {
    "name": "Spring sale",
    "text": "<b>Spring sale</b>: everything 20% off until Sunday.",
    "send_at": "2099-03-01T12:00:00+03:00",
    "buttons": [{"text": "Open the shop", "url": "https://example.com/sale"}],
    "media": None,
}


@blp.route("")
class Mailings(MethodView):
    """The mailing list."""

    @blp.arguments(MailingQuerySchema, location="query")
    @blp.response(200, MailingPageSchema)
    def get(self, query):
        """List mailings ordered by send time (or latest first), with a total for jumping to the N-th."""
        require_role(*STAFF)
        items, total = service.list_mailings(query["status"], query["offset"], query["limit"], query["order"])
        # Already dumped, as MailingPageSchema would (which still documents it): flask-smorest sends
        # a Response as it is.
        items = [dump_listed_mailing(item) for item in items]
        return jsonify({"items": items, "total": total, "offset": query["offset"], "limit": query["limit"]})

    @blp.arguments(MailingCreateSchema, example=MAILING_EXAMPLE)
    @blp.arguments(IdempotencyHeadersSchema, location="headers")
    @blp.response(201, MailingSchema)
    @blp.alt_response(
        200, schema=MailingSchema, description="A repeat of a request with the same Idempotency-Key."
    )
    @blp.alt_response(422, schema=ErrorSchema, description=INVALID + " Also idempotency_key_reused.")
    @blp.doc(responses={201: {"links": MAILING_LINKS}, 200: {"links": MAILING_LINKS}})
    def post(self, draft, headers):
        """Create a scheduled mailing.

        Send an `Idempotency-Key` header to make the request safe to repeat: the same key and body
        again answer 200 with the mailing the first request made; the same key with another body
        answers 422 `idempotency_key_reused` with that mailing's id in `details`.
        """
        actor = require_role(*STAFF)
        mailing, created = service.create_mailing(actor, draft, headers.get("idempotency_key"))
        return mailing, 201 if created else 200


@blp.route("/audience")
class Audience(MethodView):
    """The size of a segment."""

    @blp.arguments(AudienceQuerySchema)
    @blp.response(200, AudienceSchema)
    def post(self, query):
        """Count the active subscribers a segment holds now (null: everyone), and all of them."""
        require_role(*STAFF)
        segment = segments.normalized(query["segment"])
        count, total = ledger.audience_size(segment)
        return {"count": count, "total": total, "segment": segment}


@blp.route("/validate")
class ValidateDraft(MethodView):
    """Checking a draft."""

    @blp.arguments(DraftSchema)
    @blp.response(200, ValidationResultSchema)
    def post(self, draft):
        """Check a (partial) draft against the message rules; nothing is saved.

        With a `text`, the answer also has the HTML the text becomes and the `text_format` it was
        read in (`html` or `plain`); `html_problem` says why `auto` read a tag-like text as plain.
        """
        require_role(*STAFF)
        text_format = draft.pop("text_format", "html")
        result = {}
        if "text" in draft:
            draft["text"], used, why = rules.as_html(draft["text"], text_format)
            result = {"text": draft["text"], "text_format": used, "html_problem": why}
        errors = service.check_draft(draft, partial=True)
        return {"valid": not errors, "errors": errors, **result}


@blp.route("/<int64:mailing_id>")
class MailingItem(MethodView):
    """One mailing."""

    @blp.response(200, MailingSchema)
    def get(self, mailing_id):
        """Read a mailing."""
        require_role(*STAFF)
        return service.get_mailing(mailing_id)

    @blp.arguments(MailingPatchSchema)
    @blp.response(200, MailingSchema)
    @blp.alt_response(422, schema=ErrorSchema, description=INVALID)
    @blp.doc(responses={200: {"links": MAILING_LINKS}})
    def patch(self, changes, mailing_id):
        """Change a scheduled mailing; a stale version answers 409."""
        actor = require_role(*STAFF)
        version = changes.pop("version")
        return service.update_mailing(actor, mailing_id, version, changes)

    @blp.response(204)
    def delete(self, mailing_id):
        """Delete a scheduled mailing."""
        actor = require_role(*STAFF)
        service.delete_mailing(actor, mailing_id)


@blp.route("/<int64:mailing_id>/stats")
class MailingStats(MethodView):
    """Delivery counts."""

    @blp.response(200, StatsSchema)
    def get(self, mailing_id):
        """Count a mailing's deliveries per status, with progress: rate, elapsed and ETA."""
        require_role(*STAFF)
        mailing = service.get_mailing(mailing_id)
        counts = retention.mailing_counts(mailing)
        stats = {
            "mailing_id": mailing_id,
            "status": mailing.status,
            "total": sum(counts.values()),
            "counts": counts,
            "progress": ledger.progress(mailing, counts),
            "deliveries_pruned_at": mailing.deliveries_pruned_at,
        }
        tracking = bool(current_app.config["SETTINGS"].public_url)
        buttons = clicks.button_clicks(mailing, counts["sent"], tracking)
        if buttons is not None:
            stats["clicks"] = clicks.clicks_view(buttons)
        return stats


@blp.route("/<int64:mailing_id>/deliveries")
class MailingDeliveries(MethodView):
    """The delivery ledger."""

    @blp.arguments(DeliveryQuerySchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, query, mailing_id):
        """List a mailing's deliveries, optionally by status (none once they were pruned: see `pruned_at`)."""
        require_role(*STAFF)
        mailing = service.get_mailing(mailing_id)
        items, total = [], 0
        if mailing.deliveries_pruned_at is None:
            items, total = service.list_deliveries(
                mailing_id, query.get("status"), query["offset"], query["limit"]
            )
        page = {"items": items, "total": total, "offset": query["offset"], "limit": query["limit"]}
        return {**page, "pruned_at": mailing.deliveries_pruned_at}
