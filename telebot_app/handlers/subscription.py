"""/start (subscribe, re-subscribe, note the invite link, claim admin with the key), /stop and /help."""

import re

from telebot import TeleBot
from telebot.types import Message

from telebot_app.api_client import ApiError
from telebot_app.commands import set_chat_commands
from telebot_app.context import Context

# What Telegram allows in a /start payload (so in an invite link): A-Z, a-z, 0-9, _ and -.
SOURCE = re.compile(r"[A-Za-z0-9_\-]{1,64}")


def start(message: Message, ctx: Context) -> None:
    """Subscribe (or re-subscribe); with a payload, try it as the admin key without saying so."""
    user = message.from_user
    profile = {
        "first_name": user.first_name or "",
        "last_name": user.last_name,
        "username": user.username,
        "language_code": user.language_code,
    }
    payload = (message.text or "").split(maxsplit=1)[1:]
    # An invite link's payload is the subscriber's source (the API never keeps one shaped like the
    # admin key); anything Telegram would not have put in a link is ignored.
    if payload and SOURCE.fullmatch(payload[0].strip()):
        profile["source"] = payload[0].strip()
    record = ctx.api.subscribe(ctx.user_id, profile)
    if payload:
        try:
            record = ctx.api.claim_admin(ctx.user_id, payload[0].strip())
        except ApiError as exc:
            # A wrong key (403) or too many of them (429) looks exactly like a plain /start.
            if exc.status not in (403, 422, 429):
                raise
        else:
            set_chat_commands(ctx.bot, ctx.chat_id, "admin", ctx.lang)
            ctx.reply("admin_granted", name=user.first_name or "")
            return
    # Staff get their menu; anyone else loses a staff menu left from a role they no longer have.
    set_chat_commands(ctx.bot, ctx.chat_id, record["role"], ctx.lang)
    ctx.reply("welcome", name=user.first_name or "")


def stop(message: Message, ctx: Context) -> None:
    """Unsubscribe."""
    try:
        ctx.api.unsubscribe(ctx.user_id)
    except ApiError as exc:
        if exc.status != 404:
            raise
        ctx.reply("not_subscribed")
        return
    ctx.reply("unsubscribed")


def help_command(message: Message, ctx: Context) -> None:
    """What this user may do."""
    role = ctx.role()
    ctx.reply({"admin": "help_admin", "moderator": "help_moderator"}.get(role, "help_subscriber"))


def register(bot: TeleBot) -> None:
    """Register /start, /stop and /help."""
    bot.register_message_handler(start, commands=["start"], chat_types=["private"])
    bot.register_message_handler(stop, commands=["stop"], chat_types=["private"])
    bot.register_message_handler(help_command, commands=["help"], chat_types=["private"])
