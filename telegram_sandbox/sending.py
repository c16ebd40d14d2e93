"""Bot API methods that put messages in chats: send*, copyMessage, edits and deleteMessage."""

import time

from telegram_sandbox.html_entities import EntityParseError, finish_text, parse_html, utf16_len
from telegram_sandbox.keyboards import parse_reply_markup
from telegram_sandbox.media import media_payload, resolve_input_file
from telegram_sandbox.params import (
    BotApiError,
    bad_request,
    bool_param,
    chat_id_param,
    int_param,
    json_param,
    text_param,
)
from telegram_sandbox.state import Bot, ChatLog, Group, Record, User, World

MAX_TEXT = 4096
MAX_CAPTION = 1024
MEDIA_METHODS = {
    "sendphoto": "photo",
    "sendanimation": "animation",
    "sendvideo": "video",
    "senddocument": "document",
    "sendaudio": "audio",
    "sendvoice": "voice",
}
SENDING_METHODS = frozenset({"sendmessage", "copymessage", *MEDIA_METHODS})
_ENTITY_TYPES = frozenset(
    [
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    ]
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)


def resolve_chat(world: World, chat_id: int) -> User | Group:
    """The user or group behind a chat id, or Telegram's 400 for an unknown or migrated chat."""
    if chat_id > 0:
        user = world.users.get(chat_id)
        if user is None or user.status == "missing":
            raise bad_request("chat not found")
        return user
    group = world.groups.get(chat_id)
    if group is None:
        raise bad_request("chat not found")
    if group.migrated_to is not None:
        raise bad_request(
            "group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": group.migrated_to}
        )
    return group


def check_reachable(target: User | Group) -> None:
    """403 for a user who blocked the bot or whose account is deleted."""
    if isinstance(target, User):
        if target.status == "blocked":
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        if target.status == "deactivated":
            raise BotApiError(403, "Forbidden: user is deactivated")


def formatted(params: dict, field: str, entities_field: str) -> tuple[str, list[dict]]:
    """Text (or caption) after parse_mode or explicit entities, trimmed; may be empty."""
    raw = text_param(params, field) or ""
    parse_mode = text_param(params, "parse_mode")
    if parse_mode:
        mode = parse_mode.lower()
        if mode != "html":
            if mode in ("markdown", "markdownv2"):
                raise bad_request(f"parse_mode {parse_mode} is not supported by the sandbox; use HTML")
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        try:
            text, entities = parse_html(raw)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from error
        return finish_text(text, entities)
    given = json_param(params, entities_field, "message entities")
    entities: list[dict] = []
    if given is not None:
        if not isinstance(given, list):
            raise bad_request(f'field "{entities_field}" must be an Array')
        size = utf16_len(raw)
        for item in given:
            if (
                not isinstance(item, dict)
                or item.get("type") not in _ENTITY_TYPES
                or not isinstance(item.get("offset"), int)
                or not isinstance(item.get("length"), int)
            ):
                raise bad_request("can't parse entities: wrong entity description")
            if item["offset"] >= 0 and item["length"] > 0 and item["offset"] + item["length"] <= size:
                entities.append(dict(item))
    return finish_text(raw, entities)


def _text_fields(params: dict) -> dict:
    if not text_param(params, "text"):
        raise bad_request("message text is empty")
    text, entities = formatted(params, "text", "entities")
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    fields: dict = {"text": text}
    if entities:
        fields["entities"] = entities
    options = json_param(params, "link_preview_options", "link preview options")
    if options is None and bool_param(params, "disable_web_page_preview"):
        options = {"is_disabled": True}
    if isinstance(options, dict) and options:
        fields["link_preview_options"] = options
    return fields


def _caption_fields(params: dict) -> dict:
    caption, entities = formatted(params, "caption", "caption_entities")
    if utf16_len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    fields: dict = {}
    if caption:
        fields["caption"] = caption
        if entities:
            fields["caption_entities"] = entities
        if bool_param(params, "show_caption_above_media"):
            fields["show_caption_above_media"] = True
    return fields


def _reply_to(bot: Bot, chat_id: int, params: dict) -> dict | None:
    reply = json_param(params, "reply_parameters", "reply parameters")
    if reply is None:
        message_id = int_param(params, "reply_to_message_id")
        if message_id is None:
            return None
        reply = {
            "message_id": message_id,
            "allow_sending_without_reply": bool_param(params, "allow_sending_without_reply"),
        }
    if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
        raise bad_request("can't parse reply parameters JSON object")
    source_chat = reply.get("chat_id", chat_id)
    log = bot.chats.get(int(source_chat)) if str(source_chat).lstrip("-").isdigit() else None
    record = log.records.get(reply["message_id"]) if log else None
    if record is None or record.deleted:
        if reply.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    original = dict(record.message)
    original.pop("reply_to_message", None)
    return original


def deliver(
    world: World, bot: Bot, target: User | Group, fields: dict, params: dict, keyboard: dict | None
) -> dict:
    """Put a bot's message in a chat, count it and return the Message."""
    log = bot.chat_log(target.id)
    reply = _reply_to(bot, target.id, params) if params else None
    message_id = log.take_id()
    message = {
        "message_id": message_id,
        "from": bot.as_user,
        "chat": target.as_chat(),
        "date": int(time.time()),
    }
    if reply is not None:
        message["reply_to_message"] = reply
    message.update(fields)
    if params and bool_param(params, "protect_content"):
        message["has_protected_content"] = True
    log.records[message_id] = Record(message, True, reply_keyboard=keyboard, received_at=time.time())
    log.touch()
    if isinstance(target, User):
        target.received += 1
    world.limiter.record_sent(bot.token, target.id)
    return message


def send_message(world: World, bot: Bot, params: dict) -> dict:
    """sendMessage."""
    chat_id = chat_id_param(params)
    if not text_param(params, "text"):
        raise bad_request("message text is empty")
    target = resolve_chat(world, chat_id)
    fields = _text_fields(params)
    markup, keyboard = parse_reply_markup(params)
    if markup is not None:
        fields["reply_markup"] = markup
    check_reachable(target)
    return deliver(world, bot, target, fields, params, keyboard)


def send_media(world: World, bot: Bot, params: dict, kind: str) -> dict:
    """sendPhoto, sendAnimation, sendVideo, sendDocument, sendAudio and sendVoice."""
    chat_id = chat_id_param(params)
    if params.get(kind) in (None, ""):
        raise bad_request(f"there is no {kind} in the request")
    target = resolve_chat(world, chat_id)
    fields = _caption_fields(params)
    markup, keyboard = parse_reply_markup(params)
    check_reachable(target)
    stored = resolve_input_file(world, bot, kind, params[kind])
    media = {kind: media_payload(stored)}
    if kind == "animation":
        media["document"] = media_payload(stored)
    if bool_param(params, "has_spoiler") and kind in ("photo", "animation", "video"):
        media["has_media_spoiler"] = True
    fields = {**media, **fields}
    if markup is not None:
        fields["reply_markup"] = markup
    return deliver(world, bot, target, fields, params, keyboard)


def _content(message: dict) -> dict:
    content_keys = ("text", "entities", "caption", "caption_entities", *MEDIA_METHODS.values())
    return {key: message[key] for key in content_keys if key in message}


def copy_message(world: World, bot: Bot, params: dict) -> dict:
    """copyMessage: the content of a message, without a link to the original."""
    chat_id = chat_id_param(params)
    from_chat_id = chat_id_param(params, "from_chat_id")
    message_id = int_param(params, "message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    target = resolve_chat(world, chat_id)
    resolve_chat(world, from_chat_id)
    log = bot.chats.get(from_chat_id)
    record = log.records.get(message_id) if log else None
    if record is None or record.deleted:
        raise bad_request("message to copy not found")
    fields = _content(record.message)
    if "caption" in params and "text" not in fields:
        fields = {key: value for key, value in fields.items() if key not in ("caption", "caption_entities")}
        fields.update(_caption_fields(params))
    markup, keyboard = parse_reply_markup(params)
    if markup is not None:
        fields["reply_markup"] = markup
    check_reachable(target)
    message = deliver(world, bot, target, fields, params, keyboard)
    return {"message_id": message["message_id"]}


def _record_to_edit(world: World, bot: Bot, params: dict) -> tuple[User | Group, ChatLog, Record]:
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat_id = chat_id_param(params)
    message_id = int_param(params, "message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    target = resolve_chat(world, chat_id)
    log = bot.chats.get(chat_id)
    record = log.records.get(message_id) if log else None
    if record is None or record.deleted:
        raise bad_request("message to edit not found")
    if not record.outgoing:
        raise bad_request("message can't be edited")
    return target, log, record


def _apply_edit(
    log: ChatLog, record: Record, fields: dict, markup: dict | None, replaced: tuple[str, ...]
) -> dict:
    """Replace content keys and the inline keyboard (absent means removed, as in Telegram)."""
    current = record.message
    new = {key: value for key, value in current.items() if key not in replaced and key != "reply_markup"}
    new.update(fields)
    if markup is not None:
        new["reply_markup"] = markup
    if _content(new) == _content(current) and new.get("reply_markup") == current.get("reply_markup"):
        raise bad_request(NOT_MODIFIED)
    new["edit_date"] = int(time.time())
    record.message = new
    record.edited = True
    log.touch()
    return new


def edit_message_text(world: World, bot: Bot, params: dict) -> dict:
    """editMessageText."""
    target, log, record = _record_to_edit(world, bot, params)
    if "text" not in record.message:
        raise bad_request("there is no text in the message to edit")
    fields = _text_fields(params)
    markup, _ = parse_reply_markup(params)
    check_reachable(target)
    return _apply_edit(log, record, fields, markup, ("text", "entities", "link_preview_options"))


def edit_message_caption(world: World, bot: Bot, params: dict) -> dict:
    """editMessageCaption."""
    target, log, record = _record_to_edit(world, bot, params)
    if "text" in record.message:
        raise bad_request("there is no caption in the message to edit")
    fields = _caption_fields(params)
    markup, _ = parse_reply_markup(params)
    check_reachable(target)
    return _apply_edit(
        log, record, fields, markup, ("caption", "caption_entities", "show_caption_above_media")
    )


def edit_message_reply_markup(world: World, bot: Bot, params: dict) -> dict:
    """editMessageReplyMarkup."""
    target, log, record = _record_to_edit(world, bot, params)
    markup, _ = parse_reply_markup(params)
    check_reachable(target)
    return _apply_edit(log, record, {}, markup, ())


def delete_message(world: World, bot: Bot, params: dict) -> bool:
    """deleteMessage."""
    chat_id = chat_id_param(params)
    message_id = int_param(params, "message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    resolve_chat(world, chat_id)
    log = bot.chats.get(chat_id)
    record = log.records.get(message_id) if log else None
    if record is None or record.deleted:
        raise bad_request("message to delete not found")
    record.deleted = True
    log.touch()
    return True
