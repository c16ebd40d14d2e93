"""Small predicates shared by handler registrations, and the registration of a dialog's answers."""

from telebot import TeleBot
from telebot.types import CallbackQuery, Message


def is_command(message: Message) -> bool:
    """A /command (which every dialog lets through to the command handlers)."""
    return bool(message.text) and message.text.startswith("/")


def is_text(message: Message) -> bool:
    """Plain text, not a command."""
    return bool(message.text) and not message.text.startswith("/")


ID_MAX = 2**63 - 1


def number(text: str, limit: int = ID_MAX) -> int | None:
    """`text` as an integer when it is decimal digits (an optional minus) within ±limit, else None.

    Button data can be forged and typed digits can be odd: str.isdigit() accepts "²", which int() refuses,
    and an unbounded number goes on to the API or into a button's 64 bytes of data.
    """
    digits = text[1:] if text.startswith("-") else text
    if not digits.isdecimal() or len(digits) > len(str(limit)):
        return None
    value = int(text)
    return value if -limit <= value <= limit else None


def prefix(*prefixes: str):
    """Callback filter: the data starts with one of `prefixes`."""

    def check(call: CallbackQuery) -> bool:
        return bool(call.data) and call.data.startswith(prefixes)

    return check


def private(message: Message) -> bool:
    """The bot converses only in private chats."""
    return message.chat.type == "private"


def register_answer(bot: TeleBot, handler, state, content_types: list[str] | None = None) -> None:
    """Let `handler` take the answer to `state`'s question.

    The answer is a private message, text unless `content_types` says more, that is not a /command:
    every dialog lets commands through to the command handlers.
    """
    bot.register_message_handler(
        handler,
        state=state,
        func=lambda message: not is_command(message),
        content_types=content_types or ["text"],
        chat_types=["private"],
    )
