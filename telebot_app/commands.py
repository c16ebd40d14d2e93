"""The command menu per scope: subscribers see theirs by default, staff get theirs per chat."""

from __future__ import annotations

import logging

from telebot import TeleBot
from telebot.apihelper import ApiTelegramException
from telebot.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from telebot_app import texts

log = logging.getLogger(__name__)

SUBSCRIBER_COMMANDS = ("start", "help", "stop")
STAFF_COMMANDS = ("adminmenu", "newmailing", "cancel", "help", "start", "stop")


def command_list(language: str, role: str | None) -> list[BotCommand]:
    """The commands a role sees, described in `language`."""
    names = STAFF_COMMANDS if role in ("moderator", "admin") else SUBSCRIBER_COMMANDS
    return [BotCommand(name, texts.text(language, f"cmd_{name}")) for name in names]


def install_default_commands(bot: TeleBot, fallback_language: str) -> None:
    """Subscribers' commands for every language the bot speaks, and for all others the fallback's."""
    bot.set_my_commands(command_list(fallback_language, None), scope=BotCommandScopeDefault())
    for language in texts.LANGUAGES:
        bot.set_my_commands(
            command_list(language, None), scope=BotCommandScopeDefault(), language_code=language
        )


def set_chat_commands(bot: TeleBot, chat_id: int, role: str | None, language: str) -> None:
    """Give a staff member's chat the staff commands, or take them away from anyone else."""
    try:
        if role in ("moderator", "admin"):
            bot.set_my_commands(command_list(language, role), scope=BotCommandScopeChat(chat_id))
        else:
            bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
    except ApiTelegramException as exc:
        # The menu is a convenience: a chat the bot cannot reach keeps the role all the same.
        log.info("could not set commands for chat %s: %s", chat_id, exc.description)
