"""Small predicates shared by handler registrations."""

from telebot.types import CallbackQuery, Message


def is_command(message: Message) -> bool:
    """A /command (which every dialog lets through to the command handlers)."""
    return bool(message.text) and message.text.startswith("/")


def is_text(message: Message) -> bool:
    """Plain text, not a command."""
    return bool(message.text) and not message.text.startswith("/")


def prefix(*prefixes: str):
    """Callback filter: the data starts with one of `prefixes`."""

    def check(call: CallbackQuery) -> bool:
        return bool(call.data) and call.data.startswith(prefixes)

    return check


def private(message: Message) -> bool:
    """The bot converses only in private chats."""
    return message.chat.type == "private"
