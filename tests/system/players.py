"""Playing a Telegram user over the sandbox's control API, as a person would: write, read, press."""

from __future__ import annotations

from collections.abc import Callable

from telegram_sandbox.client import SandboxClient
from tests.support import wait_for

REPLY_SECONDS = 30


def buttons(message: dict) -> list[dict]:
    """The inline buttons of a message, row by row flattened."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


def body(message: dict) -> str:
    """A message's text or caption."""
    return message.get("text") or message.get("caption") or ""


class Person:
    """One sandbox user talking to the bot."""

    def __init__(self, sandbox: SandboxClient, user_id: int) -> None:
        self.sandbox = sandbox
        self.id = user_id
        self.mark = 0  # bot messages after this id answer the last action
        self.pressed: tuple[int, str] | None = None  # (message id, its text before the press)

    def messages(self) -> list[dict]:
        """What the bot sent this user (edits applied)."""
        return self.sandbox.messages(self.id)

    def say(self, text: str) -> None:
        """Write to the bot."""
        self.mark = self.sandbox.send_text(self.id, text)["message"]["message_id"]
        self.pressed = None

    def press(self, message: dict, data_suffix: str) -> None:
        """Press the message's inline button whose callback_data ends with `data_suffix`."""
        matching = [b for b in buttons(message) if b.get("callback_data", "").endswith(data_suffix)]
        assert matching, f"no button ending with {data_suffix!r} in {buttons(message)}"
        every = self.sandbox.messages(self.id, include_incoming=True)
        self.mark = max(m["message_id"] for m in every)
        self.pressed = (message["message_id"], body(message))
        self.sandbox.press(self.id, message["message_id"], matching[0]["callback_data"])

    def _answers(self, message: dict) -> bool:
        if message["message_id"] > self.mark:
            return True
        if self.pressed is None or message["message_id"] != self.pressed[0]:
            return False
        return body(message) != self.pressed[1]

    def reply(self, matches: Callable[[dict], bool], what: str, timeout: float = REPLY_SECONDS) -> dict:
        """The first bot message answering the last action (new, or the pressed one edited) that `matches`."""

        def found() -> dict | None:
            return next((m for m in self.messages() if self._answers(m) and matches(m)), None)

        return wait_for(found, timeout, f"the bot to answer user {self.id} with {what}")

    def reply_with(self, text: str, timeout: float = REPLY_SECONDS) -> dict:
        """The bot's answer containing `text`."""
        return self.reply(lambda message: text in body(message), repr(text), timeout)
