"""Users: subscribe, read, list, change role, unsubscribe, reports preference, claim admin with the key."""

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView

from webapi.auth import current_actor, require_role, require_self_or_admin
from webapi.errors import ApiError, field_problems
from webapi.models import ROLES, USER_STATUSES
from webapi.resources import protected_blueprint
from webapi.resources.common import INT64_SCHEMA, PageQuerySchema, StrictSchema, page_schema
from webapi.services import users as service

blp = protected_blueprint("users", __name__, "/api/v1/users", "Subscribers, moderators and admins.")

# Any id finds (or not) a user; only one Telegram could give, from 1, can subscribe.
TG_ID_SCHEMA = {**INT64_SCHEMA, "minimum": 1}


class UserSchema(ma.Schema):
    """A Telegram user as the API shows it."""

    tg_id = ma.fields.Integer(required=True, metadata={"format": "int64"})
    first_name = ma.fields.String(required=True)
    last_name = ma.fields.String(allow_none=True)
    username = ma.fields.String(allow_none=True)
    language_code = ma.fields.String(allow_none=True)
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(USER_STATUSES))
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)
    subscribed_at = ma.fields.AwareDateTime(allow_none=True)
    wants_reports = ma.fields.Boolean(
        required=True, metadata={"description": "Gets each mailing's report (staff; on by default)."}
    )


class SubscribeSchema(StrictSchema):
    """Names and language from Telegram's User object."""

    first_name = ma.fields.String(load_default="", validate=ma.validate.Length(max=256))
    last_name = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=256))
    username = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))
    language_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=16))


class RoleChangeSchema(StrictSchema):
    """The new role."""

    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))


class JsonBoolean(ma.fields.Boolean):
    """JSON `true` or `false` only: marshmallow's Boolean would also take 0, 1, "yes" and the like."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class ReportsSchema(StrictSchema):
    """The user's reports preference."""

    wants_reports = JsonBoolean(required=True)


class ClaimAdminSchema(StrictSchema):
    """The deep-link key."""

    key = ma.fields.String(required=True, validate=ma.validate.Length(max=256))


class UserQuerySchema(PageQuerySchema):
    """Filters for the user list."""

    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    status = ma.fields.String(validate=ma.validate.OneOf(USER_STATUSES))


UserPageSchema = page_schema(UserSchema, "UserPage")


@blp.route("")
class Users(MethodView):
    """The user list."""

    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, query):
        """List users, filtered by role and status."""
        require_role("admin")
        items, total = service.list_users(
            query.get("role"), query.get("status"), query["offset"], query["limit"]
        )
        return {"items": items, "total": total, "offset": query["offset"], "limit": query["limit"]}


@blp.route("/<int64:tg_id>")
class UserItem(MethodView):
    """One user."""

    @blp.response(200, UserSchema)
    def get(self, tg_id):
        """Read a user."""
        require_self_or_admin(tg_id)
        return service.get_user(tg_id)

    @blp.arguments(SubscribeSchema)
    @blp.response(200, UserSchema)
    @blp.doc(parameters=[{"in": "path", "name": "tg_id", "required": True, "schema": TG_ID_SCHEMA}])
    def put(self, profile, tg_id):
        """Subscribe or re-subscribe a user, refreshing their names (idempotent)."""
        if tg_id == 0:
            raise ApiError(
                422, "Telegram ids start at 1.", field_problems({"tg_id": ["Must be at least 1."]})
            )
        require_self_or_admin(tg_id)
        user, _created = service.subscribe(tg_id, profile)
        return user

    @blp.arguments(RoleChangeSchema)
    @blp.response(200, UserSchema)
    def patch(self, change, tg_id):
        """Change a user's role (admins only; the last admin cannot be demoted)."""
        actor = require_role("admin")
        return service.change_role(actor, tg_id, change["role"], current_app.extensions["redis"])


@blp.route("/<int64:tg_id>/unsubscribe")
class Unsubscribe(MethodView):
    """Leaving the mailing list."""

    @blp.response(200, UserSchema)
    def post(self, tg_id):
        """Unsubscribe a user."""
        require_self_or_admin(tg_id)
        return service.unsubscribe(tg_id)


@blp.route("/<int64:tg_id>/reports")
class Reports(MethodView):
    """Whether a staff member gets mailing reports."""

    @blp.arguments(ReportsSchema)
    @blp.response(200, UserSchema)
    def put(self, preference, tg_id):
        """Turn the user's mailing reports on or off (the user themselves, or an admin)."""
        actor = require_self_or_admin(tg_id)
        return service.set_wants_reports(actor, tg_id, preference["wants_reports"])


@blp.route("/<int64:tg_id>/claim-admin")
class ClaimAdmin(MethodView):
    """Becoming admin through the deep-link key."""

    @blp.arguments(ClaimAdminSchema)
    @blp.response(200, UserSchema)
    def post(self, claim, tg_id):
        """Make the acting user an admin when the key matches ADMIN_KEY."""
        source = request.remote_addr or "unknown"
        return service.claim_admin(
            current_actor(),
            tg_id,
            claim["key"],
            current_app.config["ADMIN_KEY"],
            current_app.extensions["redis"],
            source,
        )
