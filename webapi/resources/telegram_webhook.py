"""Telegram's webhook: in webhook mode (WEBHOOK_URL set) Telegram posts every update here.

Not a JWT endpoint: Telegram signs each request with the secret given to setWebhook, sent back in the
X-Telegram-Bot-Api-Secret-Token header and compared in constant time; a wrong or missing one is
refused with 401 before the body is read. An accepted update is answered at once and handed to the
bot's handlers running beside the API (the update sink: telebot_app/webhook.py, attached by wsgi.py).
Telegram repeats a delivery whose answer it did not get as 2xx, so each update_id is remembered in
Redis for a day and a repeat is answered 200 without being handled again.
"""

from __future__ import annotations

import contextlib
import hmac

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from redis.exceptions import RedisError

from webapi.errors import ApiError
from webapi.monitoring import count_webhook_update
from webapi.resources import ApiBlueprint
from webapi.resources.common import INT64_MAX
from webapi.settings import WEBHOOK_PATH

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header's name
# app.extensions key of the object that handles updates: `submit(update: dict) -> bool`, False when
# it is full; it raises ValueError for a body that is not a Telegram update.
UPDATE_SINK = "telegram_updates"
SEEN_PREFIX = "rassylka:webhook:seen"
# Telegram keeps an undelivered update for 24 hours, so it can repeat one that long.
SEEN_SECONDS = 24 * 3600

blp = ApiBlueprint(
    "telegram_webhook",
    __name__,
    description="Telegram's updates in webhook mode, signed with the webhook's secret instead of a JWT.",
)


@blp.before_request
def _check_secret() -> None:
    # OPTIONS only says which methods the URL allows, as everywhere else.
    if request.method == "OPTIONS":
        return
    expected = current_app.config["SETTINGS"].webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    # Without webhook mode there is no secret, and nothing matches.
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        _count("refused")
        raise ApiError(401, f"The {SECRET_HEADER} header is missing or wrong.")


class UpdateSchema(ma.Schema):
    """A Telegram Update: its update_id, and whatever else Telegram sent (handed on as it came)."""

    class Meta:
        unknown = ma.INCLUDE

    update_id = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=0, max=INT64_MAX)
    )


class TakenSchema(ma.Schema):
    """Telegram's delivery is done: the update is being handled, or was already."""

    ok = ma.fields.Boolean(required=True)
    duplicate = ma.fields.Boolean(
        required=True, metadata={"description": "True when this update_id had been taken before"}
    )


SECRET_PARAMETER = {
    "in": "header",
    "name": SECRET_HEADER,
    "required": True,
    "schema": {"type": "string"},
    "description": "The secret_token given to setWebhook (WEBHOOK_SECRET)",
}


def _seen_key(update_id: int) -> str:
    bot_id = (current_app.config["SETTINGS"].bot_token or "").split(":", 1)[0]
    return f"{SEEN_PREFIX}:{bot_id}:{update_id}"


@blp.route(WEBHOOK_PATH)
class TelegramWebhook(MethodView):
    """Telegram webhook."""

    @blp.doc(security=[], parameters=[SECRET_PARAMETER])
    @blp.arguments(UpdateSchema)
    @blp.response(200, TakenSchema)
    @blp.alt_response(401, description="The secret header is missing or wrong")
    @blp.alt_response(
        503, description="Not in webhook mode, Redis away or the handlers full: Telegram retries"
    )
    def post(self, update):
        """Take one update from Telegram; it is handled in the background, once per update_id."""
        sink = current_app.extensions.get(UPDATE_SINK)
        if sink is None:
            raise ApiError(503, "This process does not handle Telegram updates (WEBHOOK_URL is unset).")
        redis = current_app.extensions["redis"]
        key = _seen_key(update["update_id"])
        try:
            first = redis.set(key, 1, nx=True, ex=SEEN_SECONDS)
        except RedisError as error:
            # Without the record of taken updates a repeat could be handled twice: let Telegram retry.
            raise ApiError(503, "Redis is unavailable; Telegram will deliver the update again.") from error
        if not first:
            _count("duplicate")
            return {"ok": True, "duplicate": True}
        try:
            taken = sink.submit(request.get_json())
        except ValueError as error:
            _forget(redis, key)
            raise ApiError(400, "The body is not a Telegram update.") from error
        if not taken:
            _forget(redis, key)
            _count("busy")
            raise ApiError(
                503, "The bot is busy; Telegram will deliver the update again.", headers={"Retry-After": "1"}
            )
        _count("taken")
        return {"ok": True, "duplicate": False}


def _count(result: str) -> None:
    """Count the delivery for /metrics; a Redis that is away costs the count, not the answer."""
    with contextlib.suppress(RedisError):
        count_webhook_update(current_app.extensions["redis"], result)


def _forget(redis, key: str) -> None:
    """Let a delivery that was not taken be taken when Telegram repeats it."""
    with contextlib.suppress(RedisError):
        redis.delete(key)
