"""The backend app inside jobs: created once per process, entered around every job body."""

from __future__ import annotations

import functools
import logging

from flask import Flask, current_app
from redis import Redis

from workers.rate_limiter import RateLimiter
from workers.sender import TROUBLED, TelegramClient

_app: Flask | None = None
log = logging.getLogger(__name__)


def get_app() -> Flask:
    """This process's app, built from the environment on first use."""
    global _app
    if _app is None:
        from webapi.app import create_app

        _app = create_app()
    return _app


def in_app_context(func):
    """Run a job function inside the app context (so services and models work there)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            active = current_app._get_current_object()
        except RuntimeError:
            active = None
        if active is not None:
            return func(*args, **kwargs)
        with get_app().app_context():
            return func(*args, **kwargs)

    return wrapper


def redis() -> Redis:
    """The app's Redis client."""
    return current_app.extensions["redis"]


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
        limiter = RateLimiter(redis(), settings.bot_token, settings.broadcast_rate)
        # The circuit breaker's probe: a call that delivers nothing to anyone.
        limiter.prober = lambda: client.call("getMe", {}).kind not in TROUBLED
        cached = current_app.extensions["telegram"] = (client, limiter)
    return cached
