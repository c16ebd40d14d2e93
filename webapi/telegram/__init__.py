"""The Telegram output layer that the API and the workers both stand on.

- `render.py`: a mailing → the Bot API calls subscribers get (previews and test sends use it too);
- `client.py` and `outcomes.py`: one HTTP client, and what each answer means for sending again;
- `rate_limiter.py`: the one shared rate limit, 429 wait, circuit breaker and per-chat gap;
- `paced.py`: one paced send for single messages (test sends, progress, reports); the engine
  paces its batches with the limiter's reservations directly.
"""

from __future__ import annotations

from flask import current_app

from webapi.telegram.client import TelegramClient
from webapi.telegram.outcomes import TROUBLED
from webapi.telegram.rate_limiter import RateLimiter


class TelegramUnconfigured(RuntimeError):
    """BOT_TOKEN is not set, so nothing can be sent."""


def telegram() -> tuple[TelegramClient, RateLimiter]:
    """The Telegram client and the shared limiter for the configured bot token (cached on the app)."""
    cached = current_app.extensions.get("telegram")
    if cached is None:
        settings = current_app.config["SETTINGS"]
        if not settings.bot_token:
            raise TelegramUnconfigured("BOT_TOKEN is not set: no Telegram calls can be made")
        client = TelegramClient(settings.bot_token, settings.telegram_api_url)
        limiter = RateLimiter(current_app.extensions["redis"], settings.bot_token, settings.broadcast_rate)
        # The circuit breaker's probe: a call that delivers nothing to anyone.
        limiter.prober = lambda: client.call("getMe", {}).kind not in TROUBLED
        cached = current_app.extensions["telegram"] = (client, limiter)
    return cached
