"""The draft's one attachment: photo, GIF, video, document, audio or voice; anything else refused."""

from telebot import TeleBot, util
from telebot.types import Message

from telebot_app.context import Context
from telebot_app.handlers import constructor
from telebot_app.handlers.filters import register_answer
from telebot_app.states import Constructor
from telebot_app.texts import Markup

# Checked in this order: a GIF arrives as both animation and document.
ACCEPTED = ("animation", "photo", "video", "document", "audio", "voice")


def ask_media(ctx: Context, draft: dict) -> None:
    """Menu: add or replace media."""
    ctx.answer()
    ctx.set_state(Constructor.media)
    ctx.reply("ask_media")


def attachment(message: Message) -> dict | None:
    """The message's attachment as the API takes it, or None when it has none we can send."""
    for kind in ACCEPTED:
        value = getattr(message, kind, None)
        if value:
            file_id = value[-1].file_id if kind == "photo" else value.file_id
            return {"type": kind, "file_id": file_id}
    return None


def media_given(message: Message, ctx: Context) -> None:
    """The file to attach (or a refusal saying why not)."""
    ctx.require_staff()
    draft = constructor.current_draft(ctx)
    if draft is None:
        return
    media = attachment(message)
    if media is None:
        reason = message.content_type if message.content_type in REFUSAL_KEYS else "other"
        ctx.reply(REFUSAL_KEYS[reason], kind=message.content_type)
        ctx.reply("ask_media")
        return
    errors = ctx.api.validate(ctx.user_id, {"media": media, "text": draft.get("text") or ""})
    problems = errors.get("media", []) + errors.get("text", [])
    if problems:
        ctx.reply(
            "invalid_answer", errors=Markup("\n".join(ctx.t("error_line", message=p) for p in problems))
        )
        ctx.reply("ask_media")
        return
    replaced = draft.get("media") is not None
    draft["media"] = media
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ctx.reply("media_replaced" if replaced else "media_added", kind=ctx.t(f"media_{media['type']}"))
    constructor.show_menu(ctx, draft)


def remove_media(ctx: Context, draft: dict) -> None:
    """Menu: remove the attachment."""
    draft["media"] = None
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ctx.answer("media_removed")
    constructor.show_menu(ctx, draft, edit=True)


REFUSAL_KEYS = {
    "text": "media_refused_text",
    "sticker": "media_refused_sticker",
    "video_note": "media_refused_video_note",
    "other": "media_refused_other",
}


def register(bot: TeleBot) -> None:
    """Register the media question's answer handler."""
    constructor.register_menu_action("media", ask_media)
    constructor.register_menu_action("rmmedia", remove_media)
    register_answer(bot, media_given, Constructor.media, util.content_type_media)
