"""Bot API methods that send no message: getMe, updates, webhooks, commands, chats, files, callbacks."""

import asyncio
import time

from telegram_sandbox.params import (
    BotApiError,
    bad_request,
    bool_param,
    chat_id_param,
    int_param,
    json_param,
    text_param,
)
from telegram_sandbox.sending import resolve_chat
from telegram_sandbox.state import Bot, World

DEFAULT_UPDATES = frozenset({"message", "edited_message", "callback_query", "my_chat_member"})
_SCOPES = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}
_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


class Described:
    """A result that Telegram answers with a ``description`` beside it."""

    __slots__ = ("result", "description")

    def __init__(self, result: object, description: str) -> None:
        self.result = result
        self.description = description


def get_me(world: World, bot: Bot, params: dict) -> dict:
    """getMe."""
    return {
        **bot.as_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def _confirm(bot: Bot, offset: int) -> None:
    updates = bot.updates
    if offset < 0:
        while len(updates) > -offset:
            updates.popleft()
        return
    while updates and updates[0]["update_id"] < offset:
        updates.popleft()


def _ready(bot: Bot, limit: int) -> list[dict]:
    allowed = set(bot.allowed_updates) if bot.allowed_updates else DEFAULT_UPDATES
    result = []
    for update in list(bot.updates):
        kind = next(key for key in update if key != "update_id")
        if kind not in allowed:
            bot.updates.remove(update)
            continue
        result.append(update)
        if len(result) == limit:
            break
    return result


async def get_updates(world: World, bot: Bot, params: dict) -> list[dict]:
    """getUpdates with offset confirmation and long polling that wakes on the next update."""
    if bot.webhook is not None:
        raise BotApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = int_param(params, "offset", 0)
    limit = min(max(int_param(params, "limit", 100), 1), 100)
    timeout = min(max(int_param(params, "timeout", 0), 0), 50)
    allowed = json_param(params, "allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        bot.allowed_updates = [str(kind) for kind in allowed] or None
    if bot.poller is not None and not bot.poller.done():
        bot.poller.set_result("conflict")
    if offset:
        _confirm(bot, offset)
    updates = _ready(bot, limit)
    if updates or timeout == 0:
        return updates
    waiter = asyncio.get_running_loop().create_future()
    bot.poller = waiter
    try:
        await asyncio.wait({waiter}, timeout=timeout)
    finally:
        if bot.poller is waiter:
            bot.poller = None
    if waiter.done() and not waiter.cancelled() and waiter.result() == "conflict":
        raise BotApiError(
            409,
            "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
        )
    waiter.cancel()
    return _ready(bot, limit)


def _scope_key(params: dict) -> tuple[str, str]:
    scope = json_param(params, "scope", "bot command scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("unsupported bot command scope type")
    fields = _SCOPES[scope["type"]]
    for name in fields:
        if name not in scope:
            raise bad_request(f'can\'t parse BotCommandScope: field "{name}" is required')
    key = ":".join([scope["type"], *(str(scope[name]) for name in fields)])
    return key, text_param(params, "language_code") or ""


def set_my_commands(world: World, bot: Bot, params: dict) -> bool:
    """setMyCommands."""
    commands = json_param(params, "commands", "bot commands")
    if not isinstance(commands, list):
        raise bad_request('parameter "commands" is required')
    if len(commands) > 100:
        raise bad_request("too many bot commands")
    cleaned = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: object expected")
        command = str(item.get("command", "")).lstrip("/").lower()
        description = str(item.get("description", ""))
        if not 1 <= len(command) <= 32 or not all(c.isascii() and (c.isalnum() or c == "_") for c in command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("command description must be non-empty")
        cleaned.append({"command": command, "description": description})
    key = _scope_key(params)
    if cleaned:
        bot.commands[key] = cleaned
    else:
        bot.commands.pop(key, None)
    return True


def get_my_commands(world: World, bot: Bot, params: dict) -> list[dict]:
    """getMyCommands for exactly the given scope and language (no fallback, as in Telegram)."""
    return bot.commands.get(_scope_key(params), [])


def delete_my_commands(world: World, bot: Bot, params: dict) -> bool:
    """deleteMyCommands."""
    bot.commands.pop(_scope_key(params), None)
    return True


def get_chat(world: World, bot: Bot, params: dict) -> dict:
    """getChat: a ChatFullInfo."""
    target = resolve_chat(world, chat_id_param(params))
    return {**target.as_chat(), "accent_color_id": 0, "max_reaction_count": 11}


def get_file(world: World, bot: Bot, params: dict) -> dict:
    """getFile: the file_path to download from /file/bot<token>/<file_path>."""
    file_id = text_param(params, "file_id")
    if not file_id:
        raise bad_request("file_id is empty")
    stored = bot.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }


def answer_callback_query(world: World, bot: Bot, params: dict) -> bool:
    """answerCallbackQuery: recorded for the control API; a query may be answered once."""
    query_id = text_param(params, "callback_query_id")
    if not query_id:
        raise bad_request("callback_query_id is empty")
    query = bot.callback_queries.get(query_id)
    if query is None or query.get("answer") is not None:
        raise bad_request(QUERY_INVALID)
    text = text_param(params, "text") or ""
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer = {
        "token": bot.token,
        "callback_query_id": query_id,
        "user_id": query["from"]["id"],
        "data": query.get("data"),
        "text": text,
        "show_alert": bool_param(params, "show_alert"),
        "url": text_param(params, "url"),
        "cache_time": int_param(params, "cache_time", 0),
        "date": int(time.time()),
    }
    query["answer"] = answer
    world.callback_answers.append(answer)
    return True


def send_chat_action(world: World, bot: Bot, params: dict) -> bool:
    """sendChatAction."""
    chat_id = chat_id_param(params)
    action = text_param(params, "action")
    if not action:
        raise bad_request("action is empty")
    if action not in _ACTIONS:
        raise bad_request("wrong parameter action in request")
    resolve_chat(world, chat_id)
    return True
