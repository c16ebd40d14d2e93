"""The bot factory: a TeleBot with Redis-backed states, the context middleware and every handler."""

from __future__ import annotations

import logging

from redis import Redis
from telebot import ExceptionHandler, TeleBot, apihelper, custom_filters
from telebot.states.sync.middleware import StateMiddleware
from telebot.storage import StateRedisStorage

from telebot_app.api_client import ApiClient
from telebot_app.context import ContextMiddleware, Runtime
from telebot_app.drafts import BrowserMemory, DraftStore
from telebot_app.handlers import register_all
from webapi.settings import Settings
from webapi.telegram.rate_limiter import RateLimiter

log = logging.getLogger(__name__)

STATE_PREFIX = "rassylka:bot:state"


class LogAndCarryOn(ExceptionHandler):
    """A failing update is logged and the bot goes on (the middleware already told the user)."""

    def handle(self, exception: BaseException) -> bool:
        """Swallow after logging."""
        log.debug("update failed: %r", exception)
        return True


def build_runtime(settings: Settings, api_url: str | None = None) -> Runtime:
    """Settings, API client and Redis stores shared by every update."""
    redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    return Runtime(
        settings=settings,
        api=ApiClient(api_url or settings.api_url, settings.jwt_secret_key),
        redis=redis,
        drafts=DraftStore(redis),
        browser=BrowserMemory(redis),
        # The bot token's one shared rate limit: replies honour a 429 wait the workers met, and the
        # workers one the bot meets.
        limiter=RateLimiter(redis, settings.bot_token, settings.broadcast_rate)
        if settings.bot_token
        else None,
    )


def create_bot(settings: Settings, runtime: Runtime | None = None, threaded: bool = True) -> TeleBot:
    """A ready bot: Telegram at settings.telegram_api_url, states in Redis, handlers registered in order."""
    # Retries after a timeout re-send messages and create duplicates.
    apihelper.RETRY_ON_ERROR = False
    if settings.telegram_api_url.rstrip("/") != "https://api.telegram.org":
        apihelper.API_URL = settings.telegram_api_url.rstrip("/") + "/bot{0}/{1}"
        apihelper.FILE_URL = settings.telegram_api_url.rstrip("/") + "/file/bot{0}/{1}"
    runtime = runtime or build_runtime(settings)
    bot = TeleBot(
        settings.bot_token,
        threaded=threaded,
        state_storage=StateRedisStorage(redis_url=settings.redis_url, prefix=STATE_PREFIX),
        use_class_middlewares=True,
        exception_handler=LogAndCarryOn(),
        skip_pending=False,
    )
    bot.add_custom_filter(custom_filters.StateFilter(bot))
    bot.setup_middleware(StateMiddleware(bot))
    context = ContextMiddleware(runtime)
    context.bot = bot
    bot.setup_middleware(context)
    register_all(bot)
    return bot
