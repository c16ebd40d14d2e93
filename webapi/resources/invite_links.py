"""Invite links: tracked /start links and the subscribers each brought."""

import marshmallow as ma
from flask.views import MethodView

from webapi.auth import require_role
from webapi.resources import protected_blueprint
from webapi.resources.common import NOT_BLANK, StrictSchema
from webapi.resources.segments import SOURCE_PATTERN, source_rule
from webapi.services import invite_links as service

blp = protected_blueprint(
    "invite_links", __name__, "/api/v1/invite-links", "Tracked links to the bot and whom they brought."
)


class InviteLinkSchema(ma.Schema):
    """An invite link: `https://t.me/<bot>?start=<source>`."""

    id = ma.fields.Integer(required=True, metadata={"format": "int64"})
    name = ma.fields.String(required=True)
    source = ma.fields.String(required=True, metadata={"description": "The /start payload of the link."})
    created_at = ma.fields.AwareDateTime(required=True)
    brought = ma.fields.Integer(
        required=True, metadata={"description": "Users whose first source this link is."}
    )
    active = ma.fields.Integer(required=True, metadata={"description": "Of those, active subscribers now."})


class InviteLinkCreateSchema(StrictSchema):
    """A new invite link."""

    name = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=100), ma.validate.Regexp(r".*\S")],
        metadata={"pattern": NOT_BLANK, "description": "What it is for, for staff (1–100 characters)."},
    )
    source = ma.fields.String(
        validate=source_rule,
        metadata={
            "pattern": SOURCE_PATTERN,
            "description": "The payload to use (made from the name, with a random tail, when absent).",
        },
    )


@blp.route("")
class InviteLinks(MethodView):
    """The invite links."""

    @blp.response(200, InviteLinkSchema(many=True))
    def get(self):
        """List the invite links, newest first, with whom each brought (admins)."""
        require_role("admin")
        return service.list_links()

    @blp.arguments(InviteLinkCreateSchema)
    @blp.response(201, InviteLinkSchema)
    def post(self, body):
        """Make an invite link (admins); a source another link has answers 409."""
        actor = require_role("admin")
        return service.create_link(actor, body["name"], body.get("source"))


@blp.route("/<int64:link_id>")
class InviteLinkItem(MethodView):
    """One invite link."""

    @blp.response(204)
    def delete(self, link_id):
        """Forget an invite link (admins); those it brought keep their source."""
        actor = require_role("admin")
        service.delete_link(actor, link_id)
