"""Last in line: unknown commands, stray messages and buttons nobody handles any more."""

from telebot import TeleBot, util
from telebot.types import CallbackQuery, Message

from telebot_app.context import STAFF, Context
from telebot_app.handlers.filters import is_command


def unknown_command(message: Message, ctx: Context) -> None:
    """A command the bot does not know."""
    ctx.reply("unknown_command")


def stray_message(message: Message, ctx: Context) -> None:
    """A message outside any dialog (staff are told nothing is being asked, and where to go on)."""
    if ctx.role() not in STAFF:
        ctx.reply("stray_message")
    elif ctx.runtime.drafts.get(ctx.user_id) is not None:
        ctx.reply("stray_staff_draft")
    else:
        ctx.reply("stray_staff")


def stale_button(call: CallbackQuery, ctx: Context) -> None:
    """A button from an old message, or one this bot never made."""
    ctx.answer("stale_button", alert=True)


def register(bot: TeleBot) -> None:
    """Register the catch-alls."""
    bot.register_message_handler(unknown_command, func=is_command, chat_types=["private"])
    bot.register_message_handler(stray_message, content_types=util.content_type_media, chat_types=["private"])
    bot.register_callback_query_handler(stale_button, func=lambda call: True)
