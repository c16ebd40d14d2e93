"""/cancel: leave any dialog from anywhere (a draft stays until saved or discarded)."""

from telebot import TeleBot
from telebot.types import Message

from telebot_app.context import Context


def cancel(message: Message, ctx: Context) -> None:
    """Leave the current dialog."""
    had_dialog = ctx.left is not None or ctx.state() is not None
    ctx.clear_state()
    if ctx.runtime.drafts.get(ctx.user_id) is not None:
        ctx.reply("cancelled_draft_kept")
    else:
        ctx.reply("cancelled" if had_dialog else "nothing_to_cancel")


def register(bot: TeleBot) -> None:
    """Register /cancel first, so it works in every state."""
    bot.register_message_handler(cancel, commands=["cancel"], chat_types=["private"])
