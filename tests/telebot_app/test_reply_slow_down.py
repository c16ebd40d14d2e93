"""A reply refused with a short 429 (Telegram's per-chat limit) is sent again after retry_after, not lost."""

from types import SimpleNamespace

import pytest
from telebot.apihelper import ApiTelegramException

from telebot_app import context as context_module
from telebot_app.context import Context
from webapi.telegram.rate_limiter import RateLimiter


def too_many(retry_after: int) -> ApiTelegramException:
    description = f"Too Many Requests: retry after {retry_after}"
    payload = {"ok": False, "error_code": 429, "description": description}
    return ApiTelegramException("sendMessage", None, {**payload, "parameters": {"retry_after": retry_after}})


class FlakyBot:
    """send_message fails with the given exceptions first, then succeeds."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def send_message(self, chat_id, text, **kwargs):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return {"chat_id": chat_id, "text": text}


def replying_context(bot: FlakyBot, limiter: RateLimiter | None = None) -> Context:
    ctx = Context.__new__(Context)
    ctx.bot = bot
    ctx.chat_id = 42
    ctx.runtime = SimpleNamespace(limiter=limiter)
    return ctx


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The waits the bot makes, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(context_module.time, "sleep", recorded.append)
    return recorded


def test_a_short_429_is_waited_out_and_the_reply_sent(waits):
    bot = FlakyBot(too_many(1), too_many(2))
    assert replying_context(bot).send("<b>Hi</b>") == {"chat_id": 42, "text": "<b>Hi</b>"}
    assert bot.calls == 3
    assert waits == [1, 2]


def test_a_long_429_or_another_error_is_not_retried(waits):
    for failure in (
        too_many(context_module.SLOW_DOWN_MAX_WAIT + 1),
        ApiTelegramException(
            "sendMessage",
            None,
            {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
        ),
    ):
        bot = FlakyBot(failure)
        with pytest.raises(ApiTelegramException):
            replying_context(bot).send("Hi")
        assert bot.calls == 1
    assert waits == []


def test_it_gives_up_after_a_few_tries(waits):
    bot = FlakyBot(*[too_many(1)] * 10)
    with pytest.raises(ApiTelegramException):
        replying_context(bot).send("Hi")
    assert bot.calls == context_module.SLOW_DOWN_TRIES
    assert waits == [1] * (context_module.SLOW_DOWN_TRIES - 1)


def test_a_429_wait_the_workers_met_holds_the_reply_and_one_the_reply_meets_holds_them(waits, redis):
    limiter = RateLimiter(redis, "5150:SHARED-wait", 25)
    RateLimiter(redis, "5150:SHARED-wait", 25).hold(3)  # a worker met a 429
    bot = FlakyBot()
    replying_context(bot, limiter).send("Hi")
    assert bot.calls == 1 and len(waits) == 1 and 2 < waits[0] <= 3

    redis.delete(limiter.wait_key)
    limiter.local_hold_until = 0.0
    replying_context(FlakyBot(too_many(2)), limiter).send("Hi")
    # Every sender with this token (the workers too) now waits out the reply's 429.
    assert 1 < RateLimiter(redis, "5150:SHARED-wait", 25).waiting() <= 2
