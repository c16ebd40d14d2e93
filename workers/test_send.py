"""Sending a mailing (or an unsaved draft) to one chat now, outside the ledger: the "send a test" path."""

from __future__ import annotations

import time

from workers import sender
from workers.content import render
from workers.context import telegram

# How long a test send may wait for rate-limit slots and 429s before giving up (inside an HTTP request).
WAIT_SECONDS = 10.0


class TelegramRefused(Exception):
    """Telegram answered with an error; the message is Telegram's description."""


class TelegramUnavailable(Exception):
    """Telegram could not be reached, did not answer, or asked us to wait too long."""


def send_test(content: dict, chat_id: int) -> list[int]:
    """Send the content to `chat_id` exactly as subscribers would get it; return the message ids."""
    client, limiter = telegram()
    deadline = time.monotonic() + WAIT_SECONDS
    message_ids = []
    for call in render(content):
        while True:
            if not limiter.acquire(deadline=deadline):
                raise TelegramUnavailable("Telegram asks us to slow down; try again in a few seconds.")
            outcome = client.call(call.method, call.to(chat_id))
            if outcome.kind == sender.RETRY_AFTER:
                limiter.hold(outcome.retry_after)
                continue
            break
        if outcome.kind == sender.SENT:
            message_ids.append(outcome.message_id)
        elif outcome.kind in (sender.TRANSIENT, sender.AMBIGUOUS):
            raise TelegramUnavailable(f"Telegram is unreachable: {outcome.description}")
        else:
            raise TelegramRefused(outcome.description)
    return message_ids
