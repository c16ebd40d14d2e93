"""Control API for playing users (messages, media, button presses) and reading chats."""

import itertools
import json
import secrets
import time

from aiohttp import web
from aiohttp.web_request import FileField

from telegram_sandbox import webhooks
from telegram_sandbox.control_common import ControlError, body, control, int_arg, pick_bot
from telegram_sandbox.html_entities import plain_entities
from telegram_sandbox.keyboards import find_callback_button
from telegram_sandbox.media import KINDS, fake_media, media_payload, register_media
from telegram_sandbox.state import Bot, Record, User, World

_query_ids = itertools.count(1)
_MEDIA_KEYS = tuple(KINDS)


def _player(world: World, user_id: str) -> User:
    user = world.users.get(int_arg(user_id, "user id"))
    if user is None:
        raise ControlError(404, f"user {user_id} does not exist")
    if user.status in ("deactivated", "missing"):
        raise ControlError(409, f"user {user.id} is {user.status} and cannot write")
    if user.status == "blocked":
        user.status = "active"  # writing to a blocked bot means restarting (unblocking) it first
    return user


def _incoming(bot: Bot, user: User, fields: dict) -> dict:
    log = bot.chat_log(user.id)
    message_id = log.take_id()
    message = {
        "message_id": message_id,
        "from": user.as_user(),
        "chat": user.as_chat(),
        "date": int(time.time()),
        **fields,
    }
    log.records[message_id] = Record(message, False)
    log.touch()
    return bot.queue_update("message", message)


def _caption(caption: object) -> dict:
    if not caption:
        return {}
    text, entities = plain_entities(str(caption))
    return {"caption": text, **({"caption_entities": entities} if entities else {})}


@control
async def user_message(request: web.Request, world: World) -> dict:
    """A user writes to the bot; ``/start payload`` arrives with its bot_command entity."""
    data = await body(request)
    bot = pick_bot(world, request, data)
    user = _player(world, request.match_info["user_id"])
    text, entities = plain_entities(str(data.get("text") or ""))
    if not text:
        raise ControlError(400, "text is required")
    fields: dict = {}
    origin = data.get("forward_from")
    if origin is not None:
        origin_id = origin.get("id") if isinstance(origin, dict) else origin
        source = world.users.get(int_arg(origin_id, "forward_from"))
        if source is None:
            raise ControlError(404, f"user {origin_id} does not exist")
        date = int(time.time()) - 60
        fields["forward_origin"] = {"type": "user", "sender_user": source.as_user(), "date": date}
        fields["forward_from"] = source.as_user()
        fields["forward_date"] = date
    fields["text"] = text
    if entities:
        fields["entities"] = entities
    return _incoming(bot, user, fields)


@control
async def user_media(request: web.Request, world: World) -> dict:
    """A user sends a photo/animation/video/document/audio/voice (uploaded or generated)."""
    if request.content_type == "multipart/form-data":
        form = await request.post()
        data = {key: value for key, value in form.items() if not isinstance(value, FileField)}
        upload = form.get("file")
    else:
        data = await body(request)
        upload = None
    bot = pick_bot(world, request, data)
    user = _player(world, request.match_info["user_id"])
    kind = data.get("type")
    if kind not in KINDS:
        raise ControlError(400, f"type must be one of {', '.join(KINDS)}")
    if isinstance(upload, FileField):
        content = upload.file.read()
        stored = register_media(world, bot, kind, content, upload.filename if kind != "photo" else None)
    else:
        stored = fake_media(world, bot, kind, data.get("file_name"))
    fields: dict = {kind: media_payload(stored)}
    if kind == "animation":
        fields["document"] = media_payload(stored)
    fields.update(_caption(data.get("caption")))
    if data.get("media_group_id"):  # one item of an album: Telegram sends each item as its own message
        fields["media_group_id"] = str(data["media_group_id"])
    return _incoming(bot, user, fields)


@control
async def user_press(request: web.Request, world: World) -> dict:
    """A user presses an inline button of a bot message; the bot gets a callback_query."""
    data = await body(request)
    bot = pick_bot(world, request, data)
    user = _player(world, request.match_info["user_id"])
    message_id = int_arg(data.get("message_id"), "message_id")
    callback_data = data.get("callback_data")
    log = bot.chats.get(user.id)
    record = log.records.get(message_id) if log else None
    if record is None or record.deleted or not record.outgoing:
        raise ControlError(404, f"the bot has no message {message_id} in chat {user.id}")
    if not find_callback_button(record.message.get("reply_markup"), callback_data):
        raise ControlError(400, f"message {message_id} has no button with callback_data {callback_data!r}")
    query_id = f"{next(_query_ids)}{secrets.randbelow(10**12):012d}"
    bot.callback_queries[query_id] = {"from": user.as_user(), "data": callback_data, "answer": None}
    query = {
        "id": query_id,
        "from": user.as_user(),
        "message": record.message,
        "chat_instance": str((bot.id * 1_000_003 + user.id) % 10**19),
        "data": callback_data,
    }
    return bot.queue_update("callback_query", query)


def _fingerprint(message: dict) -> str:
    media = None
    for key in _MEDIA_KEYS:
        if key in message:
            value = message[key]
            media = (key, value[-1]["file_unique_id"] if isinstance(value, list) else value["file_unique_id"])
            break
    content = (message.get("text"), message.get("caption"), media, message.get("reply_markup"))
    return json.dumps(content, sort_keys=True)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


@control
async def chat_messages(request: web.Request, world: World) -> dict:
    """Every message the bot sent in a chat, in order, edits applied, with ``copies`` of each content."""
    bot = pick_bot(world, request)
    chat_id = int_arg(request.match_info["chat_id"], "chat id")
    include_deleted = _truthy(request.query.get("include_deleted"))
    include_incoming = _truthy(request.query.get("include_incoming"))
    log = bot.chats.get(chat_id)
    records = list(log.records.values()) if log else []
    counts: dict[str, int] = {}
    prints = {}
    for record in records:
        if record.outgoing and not record.deleted:
            key = prints[id(record)] = _fingerprint(record.message)
            counts[key] = counts.get(key, 0) + 1
    messages = []
    for record in records:
        if (record.deleted and not include_deleted) or (not record.outgoing and not include_incoming):
            continue
        item = {
            **record.message,
            "outgoing": record.outgoing,
            "edited": record.edited,
            "deleted": record.deleted,
            "received_at": record.received_at,
        }
        item["copies"] = counts.get(prints.get(id(record), ""), 0)
        if record.reply_keyboard is not None:
            item["reply_keyboard"] = record.reply_keyboard
        messages.append(item)
    return {"chat_id": chat_id, "token": bot.token, "messages": messages}


@control
async def callback_answers(request: web.Request, world: World) -> dict:
    """Every answerCallbackQuery call, optionally of one token."""
    token = request.query.get("token")
    answers = [a for a in world.callback_answers if token is None or a["token"] == token]
    return {"answers": answers}


@control
async def pending_updates(request: web.Request, world: World) -> dict:
    """Updates queued for a bot and not yet confirmed by getUpdates."""
    bot = pick_bot(world, request)
    return {"updates": list(bot.updates)}


@control
async def webhook_state(request: web.Request, world: World) -> dict:
    """A bot's webhook: its settings, every delivery attempt, the faults in force."""
    return webhooks.describe(pick_bot(world, request))


@control
async def configure_webhook(request: web.Request, world: World) -> dict:
    """Lose the next answers of the webhook (lose_answers), change the pauses between attempts."""
    data = await body(request)
    return webhooks.configure(pick_bot(world, request, data), data)


def add_routes(app: web.Application) -> None:
    """Register the play and read endpoints."""
    app.router.add_post("/sandbox/users/{user_id}/messages", user_message)
    app.router.add_post("/sandbox/users/{user_id}/media", user_media)
    app.router.add_post("/sandbox/users/{user_id}/press", user_press)
    app.router.add_get("/sandbox/chats/{chat_id}/messages", chat_messages)
    app.router.add_get("/sandbox/callback_answers", callback_answers)
    app.router.add_get("/sandbox/updates", pending_updates)
    app.router.add_get("/sandbox/webhook", webhook_state)
    app.router.add_put("/sandbox/webhook", configure_webhook)
