"""Sending control: test sends, send now, pause, resume, cancel and retry."""

import marshmallow as ma
from flask.views import MethodView

from webapi import placeholders
from webapi.auth import STAFF, require_role
from webapi.domain import InvalidDraft
from webapi.errors import ApiError, ErrorSchema
from webapi.extensions import db
from webapi.models import User
from webapi.resources import protected_blueprint
from webapi.resources.common import INT64_MAX, StrictSchema
from webapi.resources.mailings import (
    BUTTONS_DOC,
    MAILING_LINKS,
    TEXT_DOC,
    ButtonSchema,
    MailingSchema,
    MediaSchema,
    text_format_field,
)
from webapi.services import approval, sending_control
from webapi.services.audit import record
from webapi.services.mailings import check_draft, get_mailing, read_text
from webapi.services.preview_send import TelegramRefused, TelegramUnavailable, send_preview
from webapi.telegram import TelegramUnconfigured
from webapi.telegram.render import mailing_content

blp = protected_blueprint(
    "sending", __name__, "/api/v1/mailings", "Sending mailings: test sends and control of a running mailing."
)

REFUSED = "Invalid draft (validation_error), or Telegram refused the message (telegram_error)."
UNAVAILABLE = "Telegram is unreachable, not configured, or asks to wait (telegram_unavailable)."

WRONG_STATUS = "The mailing is not in a state that allows this (wrong_status)."

ChatId = ma.fields.Integer(required=True, validate=ma.validate.Range(min=-INT64_MAX, max=INT64_MAX))


class TestDraftSchema(StrictSchema):
    """The part of a draft a test send needs."""

    name = ma.fields.String()
    text = ma.fields.String(load_default="", metadata=TEXT_DOC)
    text_format = text_format_field()
    buttons = ma.fields.List(ma.fields.Nested(ButtonSchema), load_default=list, metadata=BUTTONS_DOC)
    media = ma.fields.Nested(MediaSchema, allow_none=True, load_default=None)


class DraftTestSchema(StrictSchema):
    """A draft and the chat to send it to."""

    chat_id = ChatId
    draft = ma.fields.Nested(TestDraftSchema, required=True)


class MailingTestSchema(StrictSchema):
    """The chat to send a saved mailing to."""

    chat_id = ChatId


class TestResultSchema(ma.Schema):
    """The messages the chat received."""

    message_ids = ma.fields.List(ma.fields.Integer(metadata={"format": "int64"}), required=True)


class RetrySchema(StrictSchema):
    """Which deliveries to send again."""

    statuses = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(sending_control.RETRYABLE)),
        required=True,
        validate=ma.validate.Length(min=1),
    )


class RetryResultSchema(ma.Schema):
    """How many went back to pending, and the mailing now."""

    requeued = ma.fields.Integer(required=True)
    mailing = ma.fields.Nested(MailingSchema, required=True)


def _send_test(content: dict, chat_id: int, actor, mailing_id=None) -> dict:
    # Placeholders show the receiving chat's own names (the sender's, sending to a chat not a user).
    user = db.session.get(User, chat_id) or (db.session.get(User, actor.tg_id) if actor.tg_id else None)
    names = placeholders.values_of(None if user is None else vars(user))
    db.session.rollback()  # no transaction stays open across the HTTP call
    try:
        message_ids = send_preview(content, chat_id, names)
    except TelegramRefused as error:
        message, details = f"Telegram refused the message: {error}", {"description": str(error)}
        raise ApiError(422, message, details, code="telegram_error") from None
    except (TelegramUnavailable, TelegramUnconfigured) as error:
        raise ApiError(503, str(error), code="telegram_unavailable") from None
    record(actor, "mailing.test_sent", "mailing", mailing_id, chat_id=chat_id, message_ids=message_ids)
    db.session.commit()
    return {"message_ids": message_ids}


@blp.route("/test")
class DraftTest(MethodView):
    """Test-sending a draft."""

    @blp.arguments(DraftTestSchema)
    @blp.response(200, TestResultSchema)
    @blp.alt_response(422, schema=ErrorSchema, description=REFUSED)
    @blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
    def post(self, body):
        """Send an unsaved draft to one chat now, exactly as subscribers would get it."""
        actor = require_role(*STAFF)
        draft = read_text(body["draft"])
        errors = check_draft({k: v for k, v in draft.items() if k != "name"}, partial=True)
        if errors:
            raise InvalidDraft(errors, "The draft is not valid; see details.")
        return _send_test(draft, body["chat_id"], actor)


@blp.route("/<int64:mailing_id>/test")
class MailingTest(MethodView):
    """Test-sending a saved mailing."""

    @blp.arguments(MailingTestSchema)
    @blp.response(200, TestResultSchema)
    @blp.alt_response(422, schema=ErrorSchema, description=REFUSED)
    @blp.alt_response(503, schema=ErrorSchema, description=UNAVAILABLE)
    def post(self, body, mailing_id):
        """Send a mailing to one chat now, outside its ledger."""
        actor = require_role(*STAFF)
        content = mailing_content(get_mailing(mailing_id))
        return _send_test(content, body["chat_id"], actor, mailing_id)


@blp.route("/<int64:mailing_id>/send-now")
class MailingSendNow(MethodView):
    """Starting a scheduled mailing now."""

    @blp.response(200, MailingSchema)
    @blp.alt_response(
        409,
        schema=ErrorSchema,
        description=WRONG_STATUS[:-1] + ", or it waits for approval (approval_required).",
    )
    @blp.doc(responses={200: {"links": MAILING_LINKS}})
    def post(self, mailing_id):
        """Start a scheduled mailing now."""
        return sending_control.send_now(require_role(*STAFF), mailing_id)


class ApproveQuerySchema(StrictSchema):
    """Optionally, the version being approved: the one the approver read."""

    version = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Approve only this version; another one answers 409 version_conflict."},
    )


@blp.route("/<int64:mailing_id>/approve")
class MailingApprove(MethodView):
    """The second person's approval of a large mailing."""

    @blp.arguments(ApproveQuerySchema, location="query")
    @blp.response(200, MailingSchema)
    @blp.alt_response(
        403,
        schema=ErrorSchema,
        description="Not staff (forbidden), or the mailing's own author (approval_by_author).",
    )
    @blp.alt_response(
        409,
        schema=ErrorSchema,
        description="Not scheduled (wrong_status), changed since that version (version_conflict), "
        "or no approval needed (approval_not_required).",
    )
    @blp.doc(responses={200: {"links": MAILING_LINKS}})
    def post(self, query, mailing_id):
        """Approve a mailing that needs it, as an admin or moderator other than its author.

        Approving again changes nothing. A mailing whose send time has come starts at once; a change
        to its text, time, audience, buttons or media takes the approval back.
        """
        actor = require_role(*STAFF)
        return approval.approve(actor, mailing_id, query.get("version"))


@blp.route("/<int64:mailing_id>/pause")
class MailingPause(MethodView):
    """Pausing a sending mailing."""

    @blp.response(200, MailingSchema)
    @blp.alt_response(409, schema=ErrorSchema, description=WRONG_STATUS)
    @blp.doc(responses={200: {"links": MAILING_LINKS}})
    def post(self, mailing_id):
        """Pause a sending mailing; requests in flight finish, nothing new starts."""
        return sending_control.pause(require_role(*STAFF), mailing_id)


@blp.route("/<int64:mailing_id>/resume")
class MailingResume(MethodView):
    """Resuming a paused mailing."""

    @blp.response(200, MailingSchema)
    @blp.alt_response(409, schema=ErrorSchema, description=WRONG_STATUS)
    @blp.doc(responses={200: {"links": MAILING_LINKS}})
    def post(self, mailing_id):
        """Resume a paused mailing."""
        return sending_control.resume(require_role(*STAFF), mailing_id)


@blp.route("/<int64:mailing_id>/cancel")
class MailingCancel(MethodView):
    """Cancelling a mailing."""

    @blp.response(200, MailingSchema)
    @blp.alt_response(409, schema=ErrorSchema, description=WRONG_STATUS)
    @blp.doc(responses={200: {"links": MAILING_LINKS}})
    def post(self, mailing_id):
        """Cancel a mailing: pending deliveries become cancelled."""
        return sending_control.cancel(require_role(*STAFF), mailing_id)


@blp.route("/<int64:mailing_id>/retry")
class MailingRetry(MethodView):
    """Sending failed or unknown deliveries again."""

    @blp.arguments(RetrySchema)
    @blp.response(200, RetryResultSchema)
    @blp.alt_response(
        409,
        schema=ErrorSchema,
        description=WRONG_STATUS[:-1] + ", or its deliveries were pruned (deliveries_pruned).",
    )
    def post(self, body, mailing_id):
        """Put unknown and/or failed deliveries back to pending and send them again."""
        actor = require_role(*STAFF)
        requeued, mailing = sending_control.retry(actor, mailing_id, body["statuses"])
        return {"requeued": requeued, "mailing": mailing}
