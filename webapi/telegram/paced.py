"""One paced send for single messages: a slot at the shared limiter (and the chat's gap), the call,
the shared wait after a 429, and a second try only where nothing can have been delivered.

Test sends, progress messages and reports all go through `send_paced`; the engine paces its
batches with the limiter's reservations directly (`workers/engine.py`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from webapi.telegram import outcomes
from webapi.telegram.client import TelegramClient
from webapi.telegram.outcomes import Outcome
from webapi.telegram.rate_limiter import RateLimiter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Patience:
    """How long one send keeps trying."""

    rate_limited: int = 5  # requests while Telegram answers 429
    refused: tuple[float, ...] = (0.5, 1.0, 2.0)  # pauses before trying a refused connection again
    # Repeat after an answer in doubt: only for calls that are safe to repeat (an edit, getMe).
    repeat_ambiguous: bool = False
    deadline: float | None = None  # monotonic: no slot after it, the send gives up


def send_paced(
    client: TelegramClient,
    limiter: RateLimiter,
    method: str,
    params: dict,
    *,
    files: Callable[[contextlib.ExitStack], dict] | None = None,
    patience: Patience = Patience(),
    on_hold: Callable[[float], None] | None = None,
    go_on: Callable[[], bool] | None = None,
) -> Outcome:
    """Send one Bot API call to `params["chat_id"]` at the shared pace; returns the last outcome.

    `files` opens the upload anew for each try; `on_hold(seconds)` hears of each 429 wait;
    `go_on()` is asked before each repeat (a newer state may have made it pointless).
    """
    chat_id = params.get("chat_id")
    pauses = iter(patience.refused)
    rate_limited = 0
    while True:
        if not limiter.acquire(
            deadline=patience.deadline, chat_id=chat_id if isinstance(chat_id, int) else None
        ):
            return Outcome(outcomes.RETRY_AFTER, description="no sending slot in time")
        with contextlib.ExitStack() as opened:
            outcome = client.call(method, params, files=files(opened) if files else None)
        if outcome.kind == outcomes.RETRY_AFTER:
            limiter.hold(outcome.retry_after)  # every sender waits it out, whether or not we try again
            rate_limited += 1
            if on_hold is not None:
                on_hold(outcome.retry_after)
            if rate_limited >= patience.rate_limited:
                return outcome
        elif outcome.kind == outcomes.TRANSIENT or (
            patience.repeat_ambiguous and outcome.kind == outcomes.AMBIGUOUS
        ):
            pause = next(pauses, None)
            if pause is None:
                return outcome
            log.info("%s to %s: %s; trying again in %.1f s", method, chat_id, outcome.description, pause)
            time.sleep(pause)
        else:
            return outcome
        if go_on is not None and not go_on():
            return outcome
