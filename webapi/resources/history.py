"""A mailing's afterlife: a copy of it to send again, and the list of recipients it did not reach."""

import marshmallow as ma
from flask import send_file
from flask.views import MethodView

from webapi.auth import STAFF, require_role
from webapi.errors import ErrorSchema
from webapi.resources import protected_blueprint
from webapi.resources.common import StrictSchema
from webapi.resources.mailings import (
    INVALID,
    MAILING_LINKS,
    NAME_DOC,
    SEND_AT_DOC,
    IdempotencyHeadersSchema,
    MailingSchema,
)
from webapi.services import not_reached
from webapi.services.mailings import duplicate_mailing

blp = protected_blueprint(
    "history",
    __name__,
    "/api/v1/mailings",
    "A mailing's history: copies of it, and the recipients it did not reach.",
)

PRUNED = "The mailing's per-recipient rows were pruned after the retention period (deliveries_pruned)."


class DuplicateSchema(StrictSchema):
    """When the copy goes out, and optionally another name."""

    send_at = ma.fields.AwareDateTime(
        required=True,
        metadata={
            "description": SEND_AT_DOC["description"] + " Required: the copy never takes the original's "
            "time, which has passed for a sent mailing and would send a scheduled one twice at once."
        },
    )
    name = ma.fields.String(
        metadata={**NAME_DOC, "description": "The copy's name; the original's by default."}
    )


class NotReachedQuerySchema(StrictSchema):
    """Which of the recipients not reached to list."""

    status = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(not_reached.NOT_REACHED)),
        load_default=list,
        metadata={"description": "Delivery statuses to list; all four by default."},
    )


@blp.route("/<int64:mailing_id>/duplicate")
class MailingDuplicate(MethodView):
    """Copying a mailing."""

    @blp.arguments(DuplicateSchema, example={"send_at": "2099-03-01T12:00:00+03:00"})
    @blp.arguments(IdempotencyHeadersSchema, location="headers")
    @blp.response(201, MailingSchema)
    @blp.alt_response(
        200, schema=MailingSchema, description="A repeat of a request with the same Idempotency-Key."
    )
    @blp.alt_response(422, schema=ErrorSchema, description=INVALID + " Also idempotency_key_reused.")
    @blp.doc(responses={201: {"links": MAILING_LINKS}, 200: {"links": MAILING_LINKS}})
    def post(self, body, headers, mailing_id):
        """Schedule a copy of a mailing in any status: its name, text, buttons in order, media and segment.

        The copy is a new scheduled mailing, as `POST /mailings` makes, at the `send_at` given. The
        `Idempotency-Key` header works as for `POST /mailings`.
        """
        actor = require_role(*STAFF)
        mailing, created = duplicate_mailing(actor, mailing_id, body, headers.get("idempotency_key"))
        return mailing, 201 if created else 200


@blp.route("/<int64:mailing_id>/not-reached")
class MailingNotReached(MethodView):
    """The recipients a mailing did not reach."""

    @blp.arguments(NotReachedQuerySchema, location="query")
    @blp.response(
        200,
        content_type="text/csv",
        description="UTF-8 CSV with the header `user_id,chat_id,status,reason`, one row per delivery "
        "in ledger order.",
    )
    @blp.alt_response(409, schema=ErrorSchema, description=PRUNED)
    def get(self, query, mailing_id):
        """Deliveries that did not arrive (blocked, failed, unknown, cancelled), as CSV with the reasons."""
        require_role(*STAFF)
        out, _ = not_reached.csv_file(mailing_id, query["status"] or list(not_reached.NOT_REACHED))
        return send_file(
            out,
            mimetype="text/csv",
            as_attachment=True,
            download_name=f"mailing-{mailing_id}-not-reached.csv",
        )
