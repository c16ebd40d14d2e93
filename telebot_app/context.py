"""Per-update context handed to every handler: who is acting, their language, role and replies."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError
from telebot import TeleBot, types
from telebot.apihelper import ApiTelegramException
from telebot.handler_backends import BaseMiddleware, CancelUpdate

from telebot_app import problems, texts
from telebot_app.api_client import ApiClient, ApiError, ApiUnavailable
from telebot_app.drafts import BrowserMemory, DraftStore, MenuMemory
from telebot_app.states import QUESTIONS
from webapi.settings import Settings
from webapi.telegram.rate_limiter import RateLimiter

log = logging.getLogger(__name__)

STAFF = ("moderator", "admin")
NOT_ASKED = object()
LOCK_STRIPES = 64
# A reply refused with 429 (Telegram allows about one message a second per chat, with short bursts) is
# sent again after retry_after when that is this short; a longer wait drops it, as before.
SLOW_DOWN_MAX_WAIT = 5
SLOW_DOWN_TRIES = 3
# An album arrives as one message per item sharing a media_group_id: the first one seen is handled,
# the rest are dropped (remembered this long, well past any album's arrival).
ALBUM_TTL_SECONDS = 3600
ALBUM_PREFIX = "rassylka:bot:album"


def _retry_after(exc: ApiTelegramException) -> int | None:
    """Telegram's retry_after of a 429, else None."""
    if exc.error_code != 429 or not isinstance(exc.result_json, dict):
        return None
    parameters = exc.result_json.get("parameters") or {}
    wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
    return wait if isinstance(wait, int) and wait >= 0 else None


@dataclass
class Runtime:
    """What lives as long as the bot process: settings, the API client and the Redis stores."""

    settings: Settings
    api: ApiClient
    redis: Redis
    drafts: DraftStore
    browser: BrowserMemory
    limiter: RateLimiter | None = None


class Refused(Exception):
    """The acting user may not do this; the refusal has been shown already."""


class Context:
    """One update: the acting user, their language, role (asked once) and ways to answer."""

    def __init__(self, bot: TeleBot, runtime: Runtime, update: types.Message | types.CallbackQuery) -> None:
        self.bot = bot
        self.runtime = runtime
        self.api = runtime.api
        self.settings = runtime.settings
        self.zone = runtime.settings.timezone
        self.call = update if isinstance(update, types.CallbackQuery) else None
        self.message = update.message if self.call else update
        self.user = update.from_user
        self.user_id = update.from_user.id
        self.chat_id = self.message.chat.id if self.message else self.user_id
        self.lang = texts.language_for(update.from_user.language_code, runtime.settings.bot_language)
        self.answered = False
        self._role = NOT_ASKED
        # The question this update left (a press or a command while the bot waited for an answer).
        self.left: str | None = None

    # Texts and replies
    def t(self, key: str, **values: object) -> str:
        """A catalog text in the user's language."""
        return texts.text(self.lang, key, **values)

    def reply(self, key: str, markup: types.InlineKeyboardMarkup | None = None, **values) -> types.Message:
        """Send a catalog text to the user's chat."""
        return self.send(self.t(key, **values), markup)

    def send(self, html: str, markup: types.InlineKeyboardMarkup | None = None) -> types.Message:
        """Send rendered HTML to the user's chat (again after a short 429 wait, so no reply is lost).

        A 429 wait the workers met holds the reply back too (Telegram's wait is the bot's, not one
        process's), and a 429 the reply meets holds the workers.
        """
        limiter = self.runtime.limiter
        for attempt in range(1, SLOW_DOWN_TRIES + 1):
            if limiter is not None:
                try:
                    held = limiter.waiting()
                except RedisError:
                    held = 0.0
                if held > 0:
                    time.sleep(min(held, SLOW_DOWN_MAX_WAIT))
            try:
                return self.bot.send_message(
                    self.chat_id, html, parse_mode="HTML", reply_markup=markup, disable_web_page_preview=True
                )
            except ApiTelegramException as exc:
                wait = _retry_after(exc)
                if wait is not None and limiter is not None:
                    with contextlib.suppress(RedisError):
                        limiter.hold(wait)
                if wait is None or wait > SLOW_DOWN_MAX_WAIT or attempt == SLOW_DOWN_TRIES:
                    raise
                log.info("Telegram asks to slow down in chat %s; sending again in %s s", self.chat_id, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")

    def edit(self, html: str, markup: types.InlineKeyboardMarkup | None = None) -> int:
        """Replace the pressed message's text and keyboard (or send anew when it cannot be edited).

        Returns the id of the message that shows it.
        """
        if self.call is None or self.call.message is None:
            return self.send(html, markup).message_id
        try:
            self.bot.edit_message_text(
                html,
                self.chat_id,
                self.call.message.message_id,
                parse_mode="HTML",
                reply_markup=markup,
                disable_web_page_preview=True,
            )
        except ApiTelegramException as exc:
            if "message is not modified" not in (exc.description or ""):
                return self.send(html, markup).message_id
        return self.call.message.message_id

    def ask(self, key: str, markup: types.InlineKeyboardMarkup | None = None, **values) -> types.Message:
        """Ask a constructor question: without a Back button the question says /cancel leaves it."""
        html = self.t(key, **values)
        if markup is None:
            html += "\n\n" + self.t("leave_hint_draft")
        return self.send(html, markup)

    def remove_keyboard(self, message_id: int) -> None:
        """Take the buttons off an earlier bot message (one Telegram no longer lets us edit keeps them)."""
        try:
            self.bot.edit_message_reply_markup(self.chat_id, message_id, reply_markup=None)
        except ApiTelegramException as exc:
            log.info("could not remove the keyboard of message %s: %s", message_id, exc.description)

    def menu_shown(self, message_id: int) -> None:
        """`message_id` is now the constructor's one live menu: an earlier menu loses its buttons."""
        earlier = MenuMemory(self.runtime.redis).swap(self.user_id, message_id)
        if earlier is not None and earlier != message_id:
            self.remove_keyboard(earlier)

    def answer(self, key: str | None = None, alert: bool = False, **values) -> None:
        """Answer the pressed button (once), optionally with a short notice."""
        if self.call is None or self.answered:
            return
        self.answered = True
        # Notices are plain text: values go in unescaped.
        notice = texts.text(self.lang, key, escape=False, **values)[:200] if key else None
        try:
            self.bot.answer_callback_query(self.call.id, text=notice, show_alert=alert)
        except ApiTelegramException as exc:
            log.info("could not answer callback %s: %s", self.call.id, exc.description)

    def delete_messages(self, message_ids: list[int]) -> None:
        """Delete earlier bot messages; ones Telegram no longer lets us delete are left."""
        for message_id in message_ids:
            try:
                self.bot.delete_message(self.chat_id, message_id)
            except ApiTelegramException:
                continue

    # Roles
    def role(self) -> str | None:
        """The acting user's role as the API sees it; None for someone who never subscribed."""
        if self._role is NOT_ASKED:
            try:
                self._role = self.api.get_user(self.user_id, self.user_id)["role"]
            except ApiError as exc:
                if exc.status not in (403, 404):
                    raise
                self._role = None
        return self._role

    def require(self, *roles: str) -> None:
        """Go on only when the acting user has one of `roles`; else refuse politely and raise Refused."""
        if self.role() in roles:
            return
        key = "refused_admin_only" if self.role() in STAFF else "refused"
        if self.call is not None and not self.answered:
            self.answer(key, alert=True)
        else:
            self.reply(key)
        raise Refused()

    def require_staff(self) -> None:
        """Moderators and admins only."""
        self.require(*STAFF)

    def require_admin(self) -> None:
        """Admins only."""
        self.require("admin")

    # States
    def set_state(self, state) -> None:
        """Move the user's conversation to `state`."""
        self.bot.set_state(self.user_id, state, self.chat_id)

    def state(self) -> str | None:
        """The user's conversation state."""
        return self.bot.get_state(self.user_id, self.chat_id)

    def clear_state(self) -> None:
        """Leave any dialog."""
        self.bot.delete_state(self.user_id, self.chat_id)


class ContextMiddleware(BaseMiddleware):
    """Builds the Context, and after the handler turns any failure into a calm message."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.update_sensitive = False
        self.update_types = ["message", "callback_query"]
        self.runtime = runtime
        self.bot: TeleBot | None = None
        # Striped: a fixed set of locks, so memory does not grow with the number of subscribers.
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]

    def _lock(self, user_id: int) -> threading.Lock:
        return self._locks[user_id % LOCK_STRIPES]

    def pre_process(self, message, data):
        """Attach the context; skip updates without a sending user (channel posts) and album repeats.

        A press or a command leaves the question the bot was waiting on, so text typed afterwards is
        never taken as the answer to a question the user walked away from (a draft stays as it was).
        """
        if getattr(message, "from_user", None) is None:
            return CancelUpdate()
        if self._album_repeat(message):
            return CancelUpdate()
        # One user's updates run one at a time, so two quick presses cannot both rewrite the same draft.
        lock = self._lock(message.from_user.id)
        lock.acquire()
        data["lock"] = lock
        ctx = data["ctx"] = Context(self.bot, self.runtime, message)
        if ctx.call is not None or _is_command(message):
            try:
                state = ctx.state()
                if state in QUESTIONS:
                    ctx.clear_state()
                    ctx.left = state
            except RedisError:  # the handler meets Redis too and tells the user
                pass
        return None

    def _album_repeat(self, message) -> bool:
        """True for an album's item after the first (Telegram sends each item as its own message)."""
        group = getattr(message, "media_group_id", None)
        if not isinstance(message, types.Message) or not group:
            return False
        key = f"{ALBUM_PREFIX}:{message.from_user.id}:{group}"
        try:
            return not self.runtime.redis.set(key, message.message_id, nx=True, ex=ALBUM_TTL_SECONDS)
        except RedisError:
            return False

    def post_process(self, message, data, exception) -> None:
        """Explain failures to the user and make sure a pressed button is answered."""
        ctx: Context | None = data.get("ctx")
        if ctx is None:
            return
        try:
            if exception is not None and not isinstance(exception, Refused):
                _explain(ctx, exception)
            ctx.answer()
        except Exception:  # the update is over; never let a failed apology take the bot down
            log.exception("could not report a failure to user %s", ctx.user_id)
        finally:
            data["lock"].release()


def _is_command(update) -> bool:
    return isinstance(update, types.Message) and (update.text or "").startswith("/")


def _explain(ctx: Context, exception: BaseException) -> None:
    if isinstance(exception, ApiUnavailable | RedisError):
        log.warning("API or Redis unavailable for user %s: %r", ctx.user_id, exception)
        _tell(ctx, "api_unavailable")
    elif isinstance(exception, ApiError) and exception.status == 403:
        _tell(ctx, "refused")
    elif isinstance(exception, ApiError) and exception.status == 429:
        _tell(ctx, "rate_limited")
    elif isinstance(exception, ApiError):
        log.warning("API refused for user %s: %s", ctx.user_id, exception)
        _tell(ctx, "api_error", message=problems.refusal_text(ctx, exception))
    elif isinstance(exception, ApiTelegramException) and exception.error_code == 429:
        log.warning("Telegram asks to slow down: %s", exception.description)
    else:
        log.error("handler failed for user %s", ctx.user_id, exc_info=exception)
        _tell(ctx, "internal_error")


def _tell(ctx: Context, key: str, **values: object) -> None:
    """As an alert on the pressed button if it is still unanswered, else as a message."""
    if ctx.call is not None and not ctx.answered:
        ctx.answer(key, alert=True, **values)
    else:
        ctx.reply(key, **values)
