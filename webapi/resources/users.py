"""Users: subscribe, read, list, change role, unsubscribe, reports preference, claim admin with the key."""

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView

from webapi import segments
from webapi.auth import current_actor, require_role, require_self_or_admin
from webapi.errors import ApiError, field_problems
from webapi.models import ROLES, USER_STATUSES
from webapi.resources import protected_blueprint
from webapi.resources.common import INT64_MAX, INT64_SCHEMA, PageQuerySchema, StrictSchema, page_schema
from webapi.resources.segments import SOURCE_PATTERN, TAG_PATTERN, source_rule, tag_rule
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
    tags = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "Free-form labels; `src:<source>` for each invite link they came through."},
    )
    first_source = ma.fields.String(
        allow_none=True, metadata={"description": "The /start payload of the link that brought them first."}
    )
    last_source = ma.fields.String(
        allow_none=True, metadata={"description": "The /start payload of the latest link they came through."}
    )


def _tags_field() -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(validate=tag_rule, metadata={"pattern": TAG_PATTERN}),
        validate=ma.validate.Length(max=segments.LIST_LIMIT),
        metadata={"maxItems": segments.LIST_LIMIT},
    )


class SubscribeSchema(StrictSchema):
    """Names and language from Telegram's User object."""

    first_name = ma.fields.String(load_default="", validate=ma.validate.Length(max=256))
    last_name = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=256))
    username = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))
    language_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=16))
    source = ma.fields.String(
        allow_none=True,
        validate=source_rule,
        metadata={
            "pattern": SOURCE_PATTERN,
            "description": "The /start payload they came with, recorded as their source (a payload as long "
            "as ADMIN_KEY is an admin claim, never a source).",
        },
    )


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

TAG_LIST_LIMIT = 10_000


class TagChangeSchema(StrictSchema):
    """Tags to add to and remove from these users."""

    tg_ids = ma.fields.List(
        ma.fields.Integer(
            strict=True, validate=ma.validate.Range(min=1, max=INT64_MAX), metadata=TG_ID_SCHEMA
        ),
        required=True,
        validate=ma.validate.Length(min=1, max=TAG_LIST_LIMIT),
        metadata={"maxItems": TAG_LIST_LIMIT},
    )
    add = _tags_field()
    remove = _tags_field()


class TagChangeResultSchema(ma.Schema):
    """What a bulk tag change did."""

    changed = ma.fields.Integer(required=True, metadata={"description": "Users whose tags changed."})
    missing = ma.fields.List(
        ma.fields.Integer(metadata={"format": "int64"}),
        required=True,
        metadata={"description": "Ids no user has (nothing was done for them)."},
    )


class TagCountSchema(ma.Schema):
    """A tag and how many active subscribers carry it."""

    tag = ma.fields.String(required=True)
    users = ma.fields.Integer(required=True)


def _path_tag(tag: str) -> str:
    if not segments.is_tag(tag):
        raise ApiError(422, "Not a tag.", field_problems({"tag": [f"Not a tag: {segments.TAG_RULE}."]}))
    return tag


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
        source = profile.pop("source", None)
        if source is not None and service.admin_key_shaped(source, current_app.config["ADMIN_KEY"]):
            source = None  # a claim of the admin key (the bot claims it next), never kept
        user, _created = service.subscribe(tg_id, profile, source)
        return user

    @blp.arguments(RoleChangeSchema)
    @blp.response(200, UserSchema)
    def patch(self, change, tg_id):
        """Change a user's role (admins only; the last admin cannot be demoted)."""
        actor = require_role("admin")
        return service.change_role(actor, tg_id, change["role"], current_app.extensions["redis"])


@blp.route("/tags")
class Tags(MethodView):
    """Tags of many users at once, and how many carry each."""

    @blp.response(200, TagCountSchema(many=True))
    def get(self):
        """List the tags of active subscribers with their counts, the most used first (at most 500)."""
        require_role("admin")
        return service.tag_counts()

    @blp.arguments(TagChangeSchema)
    @blp.response(200, TagChangeResultSchema)
    def post(self, change):
        """Add and remove tags of up to 10,000 users in one transaction."""
        actor = require_role("admin")
        changed, missing = service.change_tags(
            actor, change["tg_ids"], change.get("add", []), change.get("remove", [])
        )
        return {"changed": changed, "missing": missing}


@blp.route("/<int64:tg_id>/tags/<tag>")
class UserTag(MethodView):
    """One tag of one user."""

    @blp.response(200, UserSchema)
    def put(self, tg_id, tag):
        """Tag a user (nothing changes if they have the tag)."""
        actor = require_role("admin")
        service.get_user(tg_id)
        service.change_tags(actor, [tg_id], [_path_tag(tag)], [])
        return service.get_user(tg_id)

    @blp.response(200, UserSchema)
    def delete(self, tg_id, tag):
        """Remove a tag from a user (nothing changes if they do not have it)."""
        actor = require_role("admin")
        service.get_user(tg_id)
        service.change_tags(actor, [tg_id], [], [_path_tag(tag)])
        return service.get_user(tg_id)


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
