"""The draft's one attachment: photo, GIF, video, document, audio or voice; anything else refused.

Also a file with a caption sent where the text is asked: the caption can become the text, the file
the attachment.
"""

from telebot import TeleBot, util
from telebot.types import Message

from telebot_app import keyboards
from telebot_app.context import Context
from telebot_app.handlers import constructor
from telebot_app.handlers.filters import register_answer
from telebot_app.problems import problem_lines
from telebot_app.states import Constructor

# Checked in this order: a GIF arrives as both animation and document.
ACCEPTED = ("animation", "photo", "video", "document", "audio", "voice")
# Telegram's content types the admin may send instead, by the word they read (content_<type>).
NAMED_KINDS = frozenset(
    {"location", "contact", "poll", "dice", "venue", "game", "story", "invoice", "giveaway", "gift"}
)


def ask_media(ctx: Context, draft: dict) -> None:
    """Menu: add or replace media."""
    ctx.answer()
    ctx.set_state(Constructor.media)
    ctx.ask("ask_media", keyboards.back_to_menu(ctx.t, draft))


def attachment(message: Message) -> dict | None:
    """The message's attachment as the API takes it, or None when it has none we can send."""
    for kind in ACCEPTED:
        value = getattr(message, kind, None)
        if value:
            file_id = value[-1].file_id if kind == "photo" else value.file_id
            return {"type": kind, "file_id": file_id}
    return None


def kind_word(ctx: Context, content_type: str) -> str:
    """What the admin sent, in words (never Telegram's content_type)."""
    return ctx.t(f"content_{content_type}" if content_type in NAMED_KINDS else "content_other")


def media_given(message: Message, ctx: Context) -> None:
    """The file to attach (or a refusal saying why not); of an album only the first item is kept."""
    ctx.require_staff()
    draft = constructor.current_draft(ctx)
    if draft is None:
        return
    media = attachment(message)
    if media is None:
        reason = message.content_type if message.content_type in REFUSAL_KEYS else "other"
        ctx.reply(REFUSAL_KEYS[reason], kind=kind_word(ctx, message.content_type))
        ctx.ask("ask_media", keyboards.back_to_menu(ctx.t, draft))
        return
    errors = ctx.api.validate(ctx.user_id, {"media": media, "text": draft.get("text") or ""})
    problems = errors.get("media", []) + errors.get("text", [])
    if problems:
        ctx.reply("invalid_answer", errors=problem_lines(ctx, problems))
        ctx.ask("ask_media", keyboards.back_to_menu(ctx.t, draft))
        return
    replaced = draft.get("media") is not None
    draft["media"] = media
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ctx.reply("media_replaced" if replaced else "media_added", kind=ctx.t(f"media_{media['type']}"))
    if message.media_group_id:
        # The album's other items never reach a handler (see ContextMiddleware): this is said once.
        ctx.reply("media_album_first_kept")
    constructor.show_menu(ctx, draft)


def remove_media_confirm(ctx: Context, draft: dict) -> None:
    """Menu: remove the attachment — asked first."""
    ctx.answer()
    if not draft.get("media"):
        constructor.show_menu(ctx, draft, edit=True)
        return
    ctx.edit(
        ctx.t("media_remove_confirm", kind=ctx.t(f"media_{draft['media']['type']}")),
        keyboards.constructor_confirm(ctx.t, draft, "btn_yes_remove", "rmmediaok"),
    )


def remove_media(ctx: Context, draft: dict) -> None:
    """Remove the attachment (confirmed)."""
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


# A captioned file where the text is asked
def typed_caption(message: Message) -> tuple[str, str]:
    """The caption and the format the API should read it in: the same rule as a typed text."""
    if any(entity.type in constructor.FORMATTING_ENTITIES for entity in message.caption_entities or []):
        return message.html_caption, "html"
    return message.caption or "", "auto"


def captioned_file_given(message: Message, ctx: Context) -> None:
    """A file with a caption as the answer to the text question: offer to use both."""
    ctx.require_staff()
    draft = constructor.current_draft(ctx)
    if draft is None:
        return
    text, text_format = typed_caption(message)
    draft["offer"] = {"text": text, "text_format": text_format, "media": attachment(message)}
    ctx.runtime.drafts.put(ctx.user_id, draft)
    if message.media_group_id:  # the album's other items never reach a handler: said once
        ctx.reply("media_album_first_kept")
    ctx.reply(
        "caption_offer",
        keyboards.caption_offer(ctx.t, draft),
        kind=ctx.t(f"media_{draft['offer']['media']['type']}"),
    )


def _captioned(message: Message) -> bool:
    return bool(message.caption) and attachment(message) is not None


def _take_offer(ctx: Context, draft: dict, with_media: bool) -> None:
    """cm:…:capboth / captext: the caption becomes the text (and the file the attachment)."""
    offer = draft.pop("offer", None)
    if ctx.call is not None and ctx.call.message is not None:
        ctx.remove_keyboard(ctx.call.message.message_id)
    if not offer:
        ctx.answer("stale_button")
        return
    ctx.answer()
    media = offer["media"] if with_media else draft.get("media")
    text_format = offer.get("text_format", "html")
    verdict = ctx.api.read_text(ctx.user_id, offer["text"], media, text_format)
    errors = verdict.get("errors") or {}
    problems = errors.get("text", []) + errors.get("media", [])
    if problems:
        ctx.runtime.drafts.put(ctx.user_id, draft)
        ctx.reply("invalid_answer", errors=problem_lines(ctx, problems))
        ctx.set_state(Constructor.text)
        ctx.ask("ask_text")
        return
    if text_format == "auto":
        constructor.tell_text_format(ctx, offer["text"], verdict)
    draft.update(text=verdict["text"], media=media)
    ctx.runtime.drafts.put(ctx.user_id, draft)
    constructor.ask_next(ctx, draft)


def _use_both(ctx: Context, draft: dict) -> None:
    _take_offer(ctx, draft, with_media=True)


def _use_caption(ctx: Context, draft: dict) -> None:
    _take_offer(ctx, draft, with_media=False)


def _use_neither(ctx: Context, draft: dict) -> None:
    """cm:…:capno: forget the file; the text is asked again."""
    draft.pop("offer", None)
    ctx.runtime.drafts.put(ctx.user_id, draft)
    if ctx.call is not None and ctx.call.message is not None:
        ctx.remove_keyboard(ctx.call.message.message_id)
    ctx.answer()
    ctx.set_state(Constructor.text)
    ctx.ask("ask_text")


def register(bot: TeleBot) -> None:
    """Register the media question's answer handler and the caption offer (before the constructor's)."""
    constructor.register_menu_action("media", ask_media)
    constructor.register_menu_action("rmmedia", remove_media_confirm)
    constructor.register_menu_action("rmmediaok", remove_media)
    constructor.register_menu_action("capboth", _use_both)
    constructor.register_menu_action("captext", _use_caption)
    constructor.register_menu_action("capno", _use_neither)
    register_answer(bot, media_given, Constructor.media, util.content_type_media)
    bot.register_message_handler(
        captioned_file_given,
        state=Constructor.text,
        func=_captioned,
        content_types=list(ACCEPTED),
        chat_types=["private"],
    )
