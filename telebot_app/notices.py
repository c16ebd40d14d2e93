"""Telling users of their new role: the bot's side of webapi.role_notices.

Whoever changes a role (an admin in the bot, an API client), the API queues a notice; the bot tells
the user in their language and gives their chat the new role's command menu. A thread beside the
polling does it as notices come (`start_role_notices`); tests call `tell_role_changes` directly.
"""

from __future__ import annotations

import logging
import threading
import uuid

from redis import Redis
from redis.exceptions import RedisError
from telebot import TeleBot
from telebot.apihelper import ApiTelegramException

from telebot_app import texts
from telebot_app.commands import set_chat_commands
from telebot_app.texts import language_for
from webapi import role_notices

log = logging.getLogger(__name__)

WAIT_SECONDS = 2  # how long one wait for a notice blocks (below the bot's Redis socket timeout)
RETRY_SECONDS = 2  # the pause after a failure before the unfinished notices are tried again
# In webhook mode every web process could tell role changes; one at a time does, holding this lease.
LEASE_KEY = "rassylka:bot:role-notices:teller"
LEASE_SECONDS = 10
# 2: the lease was just taken; 1: it was held and is extended; 0: another process holds it.
_HOLD_LEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('expire', KEYS[1], ARGV[2])
  return 1
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return 2
end
return 0
"""


def tell_role_changes(bot: TeleBot, redis: Redis, bot_language: str, wait_seconds: float = 0) -> int:
    """Tell every queued user of their new role (waiting up to `wait_seconds` for the first); the count."""
    told = 0
    while (taken := role_notices.take(redis, wait_seconds if told == 0 else 0)) is not None:
        raw, notice = taken
        # A language we do not speak falls back to the bot's, as everywhere else.
        language = language_for(notice.language_code, bot_language)
        set_chat_commands(bot, notice.tg_id, notice.role, language)
        tell_new_role(bot, notice.tg_id, notice.role, language)
        role_notices.done(redis, raw)
        told += 1
    return told


def tell_new_role(bot: TeleBot, tg_id: int, role: str, language: str) -> None:
    """Tell a user their role has changed and what they may do now; a chat we cannot reach is skipped."""
    try:
        bot.send_message(tg_id, texts.text(language, f"role_now_{role}"), parse_mode="HTML")
    except ApiTelegramException as exc:
        # The role has changed all the same; the notice is a courtesy (the user may have blocked the bot).
        log.info("could not tell user %s of their new role: %s", tg_id, exc.description)


def start_role_notices(bot: TeleBot, redis: Redis, bot_language: str, lease: bool = False) -> threading.Event:
    """Tell role changes as they come, in a daemon thread; set the returned event to stop it.

    With `lease`, only while this process holds the tellers' lease (several web processes in
    webhook mode): the one that takes it over puts back what a stopped teller left unfinished.
    """
    stop = threading.Event()
    owner = f"{uuid.uuid4().hex}"
    hold = redis.register_script(_HOLD_LEASE)

    def run() -> None:
        while not stop.is_set():
            try:
                if lease:
                    held = hold(keys=[LEASE_KEY], args=[owner, LEASE_SECONDS])
                    if not held:
                        stop.wait(LEASE_SECONDS / 2)
                        continue
                    if held == 2:
                        role_notices.requeue_unfinished(redis)
                    tell_role_changes(bot, redis, bot_language, WAIT_SECONDS)
                    continue
                role_notices.requeue_unfinished(redis)  # what a stopped bot or a failure left taken
                while not stop.is_set():
                    tell_role_changes(bot, redis, bot_language, WAIT_SECONDS)
            except (RedisError, OSError, ApiTelegramException, ValueError):
                log.warning("role notices failed; trying again in %s s", RETRY_SECONDS, exc_info=True)
                stop.wait(RETRY_SECONDS)

    threading.Thread(target=run, name="role-notices", daemon=True).start()
    return stop
