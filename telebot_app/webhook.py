"""Webhook mode: Telegram posts updates to web, and the bot's handlers run there, beside the API.

`python -m telebot_app.webhook` (the Procfile's release) sets Telegram's webhook when WEBHOOK_URL is
set, or deletes it, so switching back to long polling needs nothing else; the bot's own start does
the same (telebot_app/__main__.py).

`UpdateLanes` is what web's POST /telegram/webhook hands updates to (wsgi.py attaches it). The same
bot that polling runs (create_bot: one set of handlers and middlewares) handles each update with
`process_new_updates`, in a bounded pool of threads inside the web process rather than an RQ queue:
an RQ worker runs one job at a time, and the drivers of a mailing hold theirs for minutes, so a
reply queued behind them would wait that long; a job would also cost a fork per update. Each chat
always goes to the same lane (one thread), so one person's updates are handled in the order they
came, as the conversation's state in Redis needs; a full lane refuses the update with 503 and
Telegram delivers it again later. What a web process had taken but not handled when it is killed is
lost, as with polling, which confirms updates before handling them.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time

from telebot import TeleBot, types

from telebot_app.bot import build_runtime, create_bot
from telebot_app.commands import install_default_commands
from telebot_app.context import Runtime
from telebot_app.notices import start_role_notices
from webapi.logs import configure_logging, settings_secrets
from webapi.settings import Settings, exit_on_config_error, load_settings

log = logging.getLogger(__name__)

# What the bot handles: the same list for polling and the webhook.
ALLOWED_UPDATES = ["message", "callback_query"]
LANES = 4
LANE_DEPTH = 100  # updates waiting in one lane before Telegram is asked to come back later
STOP_SECONDS = 10  # how long a stopping web process lets its lanes finish what they took


def _chat_of(update: dict) -> int:
    """The chat (or user) an update belongs to, which picks its lane."""
    for kind in ("message", "edited_message", "callback_query"):
        part = update.get(kind)
        if isinstance(part, dict):
            chat = part.get("chat") or (part.get("message") or {}).get("chat") or part.get("from") or {}
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return chat["id"]
    return int(update.get("update_id", 0))


class UpdateLanes:
    """The bot inside web: updates handled by `process_new_updates` on LANES threads, per chat in order."""

    def __init__(self, settings: Settings, lanes: int = LANES, depth: int = LANE_DEPTH) -> None:
        self.settings = settings
        self._queues = [queue.Queue(maxsize=depth) for _ in range(lanes)]
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._bot: TeleBot | None = None
        self.runtime: Runtime | None = None
        self._unfinished = 0
        self._idle = threading.Condition(self._lock)
        self._notices: threading.Event | None = None

    @property
    def bot(self) -> TeleBot:
        """The bot, built on first use (so that importing the app starts nothing)."""
        with self._lock:
            if self._bot is None:
                self.runtime = build_runtime(self.settings)
                self._bot = create_bot(self.settings, self.runtime, threaded=False)
            return self._bot

    def start_background(self, api_url: str | None = None) -> None:
        """In a serving web process: use the API at `api_url` (its own address) and tell role changes
        (one web process at a time does, through a lease in Redis)."""
        if api_url and self._bot is None:
            self.settings = _with_api_url(self.settings, api_url)
        bot = self.bot
        if self._notices is None:
            self._notices = start_role_notices(
                bot, self.runtime.redis, self.settings.bot_language, lease=True
            )

    def submit(self, raw: dict) -> bool:
        """Queue one update for its chat's lane; False when that lane is full. ValueError: not an update."""
        try:
            update = types.Update.de_json(raw)
        except Exception as error:  # pyTelegramBotAPI raises whatever a malformed field causes
            raise ValueError("not a Telegram update") from error
        bot = self.bot
        lane = _chat_of(raw) % len(self._queues)
        with self._lock:
            if not self._threads:
                self._start_threads(bot)
            try:
                self._queues[lane].put_nowait(update)
            except queue.Full:
                return False
            self._unfinished += 1
        return True

    def _start_threads(self, bot: TeleBot) -> None:
        for number, lane in enumerate(self._queues):
            thread = threading.Thread(
                target=self._run, args=(bot, lane), name=f"webhook-lane-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _run(self, bot: TeleBot, lane: queue.Queue) -> None:
        while (update := lane.get()) is not None:
            try:
                bot.process_new_updates([update])
            except Exception:  # the handlers' own errors are caught by the bot; anything else is logged
                log.exception("update %s failed", update.update_id)
            finally:
                with self._lock:
                    self._unfinished -= 1
                    if self._unfinished == 0:
                        self._idle.notify_all()

    def pending(self) -> int:
        """Updates taken and not yet handled."""
        with self._lock:
            return self._unfinished

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every taken update is handled; False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._unfinished:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
            return True

    def close(self, timeout: float = STOP_SECONDS) -> None:
        """Finish what was taken (up to `timeout`), then stop the lanes and the role notices."""
        self.wait_idle(timeout)
        if self._notices is not None:
            self._notices.set()
        with self._lock:
            threads, self._threads = self._threads, []
        for lane in self._queues:
            with contextlib.suppress(queue.Full):  # a lane still full when time is up is left to die
                lane.put_nowait(None)
        for thread in threads:
            thread.join(timeout)


def _with_api_url(settings: Settings, api_url: str) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, api_url=api_url.rstrip("/"))


def set_or_delete_webhook(bot: TeleBot, settings: Settings) -> str:
    """setWebhook with the secret, allowed updates and connections when WEBHOOK_URL is set; else
    deleteWebhook (pending updates kept, for polling to fetch). Returns what was done, in words."""
    if settings.webhook_url:
        bot.set_webhook(
            url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=settings.webhook_max_connections,
        )
        return f"webhook set to {settings.webhook_url}"
    bot.delete_webhook(drop_pending_updates=False)
    return "webhook deleted (long polling)"


def main() -> None:
    """Set or delete the webhook as WEBHOOK_URL says; in webhook mode set the command menu too."""
    settings = exit_on_config_error(load_settings)
    configure_logging(settings.log_format, settings_secrets(settings))
    if not settings.bot_token:
        log.info("BOT_TOKEN is unset: no webhook to set or delete")
        return
    bot = create_bot(settings, build_runtime(settings), threaded=False)
    try:
        done = set_or_delete_webhook(bot, settings)
    except Exception:
        if settings.webhook_url:
            # Without its webhook the bot hears nothing: the release must fail loudly.
            log.exception("could not set the webhook")
            raise SystemExit(1) from None
        # Polling deletes it again when the bot starts.
        log.warning("could not delete the webhook; the bot will when it starts", exc_info=True)
        return
    log.info(done)
    if settings.webhook_url:
        try:
            install_default_commands(bot, settings.bot_language)
        except Exception:  # a convenience: the release goes on without it
            log.warning("could not set the command menu", exc_info=True)


if __name__ == "__main__":
    main()
