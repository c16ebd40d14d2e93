"""Sending a mailing (or an unsaved draft) to one chat now, outside the ledger: the "send a test" path."""

from __future__ import annotations

import time

from webapi.telegram import outcomes, telegram
from webapi.telegram.paced import Patience, send_paced
from webapi.telegram.render import render

# How long a test send may wait for rate-limit slots and 429s before giving up (inside an HTTP request).
WAIT_SECONDS = 10.0


class TelegramRefused(Exception):
    """Telegram answered with an error; the message is Telegram's description."""


class TelegramUnavailable(Exception):
    """Telegram could not be reached, did not answer, or asked us to wait too long."""


def send_preview(content: dict, chat_id: int, names: dict[str, str] | None = None) -> list[int]:
    """Send the content to `chat_id` exactly as subscribers would get it (its placeholders filled in
    with `names`); return the message ids."""
    client, limiter = telegram()
    patience = Patience(rate_limited=1_000, refused=(), deadline=time.monotonic() + WAIT_SECONDS)
    message_ids = []
    for call in render(content):
        outcome = send_paced(client, limiter, call.method, call.to(chat_id, names=names), patience=patience)
        if outcome.kind == outcomes.SENT:
            message_ids.append(outcome.message_id)
        elif outcome.kind == outcomes.RETRY_AFTER:
            raise TelegramUnavailable("Telegram asks us to slow down; try again in a few seconds.")
        elif outcome.kind in (outcomes.TRANSIENT, outcomes.AMBIGUOUS):
            raise TelegramUnavailable(f"Telegram is unreachable: {outcome.description}")
        else:
            raise TelegramRefused(outcome.description)
    return message_ids
