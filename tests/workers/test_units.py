"""The engine's parts on their own: content, answer mapping, the limiter, periodic registration."""

from __future__ import annotations

from rq_scheduler import Scheduler

from webapi.jobs import periodic_jobs
from webapi.telegram import outcomes
from webapi.telegram.client import TelegramClient
from webapi.telegram.outcomes import classify
from webapi.telegram.rate_limiter import RateLimiter, allowance
from webapi.telegram.render import render
from workers.schedule import register_periodic_jobs

BUTTONS = [{"text": "A", "url": "https://a.example"}, {"text": "B", "url": "tg://resolve?domain=x"}]
KEYBOARD = {"inline_keyboard": [[BUTTONS[0]], [BUTTONS[1]]]}


def test_text_with_buttons_is_one_message():
    (call,) = render({"text": "<b>Hi</b>", "buttons": BUTTONS, "media": None})
    assert call.method == "sendMessage"
    assert call.to(7) == {"chat_id": 7, "text": "<b>Hi</b>", "parse_mode": "HTML", "reply_markup": KEYBOARD}
    assert call.to(7, paid_broadcast=True)["allow_paid_broadcast"] is True


def test_media_with_a_short_text_carries_it_as_caption():
    (call,) = render({"text": "Hi", "buttons": BUTTONS, "media": {"type": "video", "file_id": "BAADF"}})
    assert call.method == "sendVideo"
    assert call.params == {"video": "BAADF", "caption": "Hi", "parse_mode": "HTML", "reply_markup": KEYBOARD}


def test_media_without_text_has_no_caption():
    (call,) = render(
        {"text": "", "buttons": [], "media": {"type": "photo", "file_id": "https://x.example/a.png"}}
    )
    assert call.params == {"photo": "https://x.example/a.png"}


def test_media_with_a_long_text_is_two_messages_buttons_on_the_second():
    text = "<b>" + "y" * 1100 + "</b>"  # 1100 visible characters: too long for a caption
    media, message = render({"text": text, "buttons": BUTTONS, "media": {"type": "document", "file_id": "F"}})
    assert (media.method, media.params) == ("sendDocument", {"document": "F"})
    assert message.method == "sendMessage" and message.params["reply_markup"] == KEYBOARD
    # Entities do not count: 1020 visible characters in bold still fit.
    (single,) = render(
        {"text": "<b>" + "y" * 1020 + "</b>", "buttons": [], "media": {"type": "audio", "file_id": "F"}}
    )
    assert single.method == "sendAudio"


def test_answers_map_to_outcomes():
    assert classify(200, {"ok": True, "result": {"message_id": 5}}).message_id == 5
    too_many = classify(429, {"ok": False, "error_code": 429, "parameters": {"retry_after": 3}})
    assert (too_many.kind, too_many.retry_after) == (outcomes.RETRY_AFTER, 3)
    blocked = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    assert classify(403, blocked).kind == outcomes.BLOCKED
    migrated = classify(
        400, {"ok": False, "error_code": 400, "description": "x", "parameters": {"migrate_to_chat_id": -1001}}
    )
    assert (migrated.kind, migrated.migrate_to) == (outcomes.MIGRATED, -1001)
    not_found = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    assert classify(400, not_found).kind == outcomes.REJECTED
    # A 5xx may come after Telegram delivered the message: never sent again automatically.
    assert classify(502, None).kind == outcomes.AMBIGUOUS
    assert classify(504, "<html>Gateway Time-out</html>").kind == outcomes.AMBIGUOUS
    assert (
        classify(500, {"ok": False, "error_code": 500, "description": "Internal"}).kind == outcomes.AMBIGUOUS
    )


def test_a_refused_connection_is_transient_and_never_shows_the_token():
    token = "999:SECRET-never-in-logs"
    outcome = TelegramClient(token, "http://127.0.0.1:9").call("sendMessage", {"chat_id": 1, "text": "x"})
    assert outcome.kind == outcomes.TRANSIENT
    assert "SECRET" not in outcome.description and "127.0.0.1" not in outcome.description


def test_limiter_is_shared_through_redis_and_honours_a_429_wait(redis, app):
    token = "777:LIMITER-token"
    first, second = RateLimiter(redis, token, 2.0), RateLimiter(redis, token, 2.0)
    assert first.try_acquire() == 0
    # The next slot is half a second away for every process using this token.
    assert 0 < second.try_acquire() <= 0.5 * (1 + allowance(2.0)) + 0.01
    first.hold(5)
    assert second.try_acquire() > 4
    assert not any(b"LIMITER" in key for key in redis.keys("*"))
    # Another token has its own budget.
    assert RateLimiter(redis, "778:OTHER", 2.0).try_acquire() == 0


def test_a_chat_whose_request_never_left_is_free_again(redis, app):
    from webapi.services import start_journal

    limiter = RateLimiter(redis, "779:CHATS", 1000)
    journal = start_journal.open_journal(redis, "chats-test")
    assert limiter.start(journal, [(1, 7), (2, 8)]).busy == ()
    # Within the gap another message to chat 7 must wait ...
    assert limiter.start(journal, [(3, 7)]).busy == (3,)
    # ... unless the first one missed its slot and never left: then its chat is free at once.
    limiter.forget_chats([7])
    assert limiter.start(journal, [(3, 7), (4, 8)]).busy == (4,)


def test_periodic_jobs_register_once_with_stable_ids(redis, app):
    scheduler = Scheduler(connection=redis)
    every_30 = periodic_jobs(30)
    assert register_periodic_jobs(scheduler, every_30) == [job.id for job in every_30]
    assert register_periodic_jobs(scheduler, every_30) == []
    jobs = {job.id: job for job in scheduler.get_jobs()}
    reconcile, prune, series = every_30
    assert set(jobs) == {reconcile.id, prune.id, series.id}
    assert reconcile.id.startswith("periodic-reconcile-")
    assert prune.id.startswith("periodic-prune_deliveries-")
    assert series.id.startswith("periodic-make_series_runs-") and jobs[series.id].meta["interval"] == 60
    assert jobs[reconcile.id].meta["interval"] == 30 and jobs[reconcile.id].timeout == 900
    assert jobs[prune.id].meta["interval"] == 900 and jobs[prune.id].timeout == prune.kind.timeout


def test_a_changed_interval_replaces_the_periodic_job(redis, app):
    scheduler = Scheduler(connection=redis)
    register_periodic_jobs(scheduler, periodic_jobs(30))
    every_5 = periodic_jobs(5)
    assert register_periodic_jobs(scheduler, every_5) == [every_5[0].id]
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {job.id for job in every_5} and jobs[every_5[0].id].meta["interval"] == 5


def test_redis_away_at_send_time_sends_nothing_and_is_a_missed_slot(tmp_path):
    """The limiter cannot be read: nothing leaves, and the row goes back to pending (never `unknown`)."""
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from webapi.services.ledger import Claim
    from workers.pipeline import Attempt

    gone = Redis(unix_socket_path=str(tmp_path / "no-redis.sock"), retry=Retry(NoBackoff(), 0))
    pipeline = _unstarted_pipeline(RateLimiter(gone, "1:T", 100))
    assert pipeline._cleared([Attempt(Claim(1, 5, 7, 7), 7)]) == []
    closing, answered = pipeline.outcomes.get_nowait()
    assert (closing.id, closing.status, closing.uncount, answered) == (1, "pending", True, False)
    assert closing.error == "limiter away (ConnectionError)"


def test_a_request_past_its_slot_is_not_written_and_gives_its_chat_back(redis, app):
    """Cleared, then too late at its moment: back to pending uncounted, and its chat's gap is cleared."""
    import time

    from webapi.services.ledger import Claim
    from workers.pipeline import Attempt

    pipeline = _unstarted_pipeline(RateLimiter(redis, "780:LATE", 1000))
    pipeline._fire(Attempt(Claim(1, 5, 7, 7), 7, slot=time.monotonic() - 1))
    closing, answered = pipeline.outcomes.get_nowait()
    assert (closing.id, closing.status, closing.uncount, answered) == (1, "pending", True, False)
    assert closing.error == "missed its slot" and list(pipeline.unsent_chats) == [7]


def _unstarted_pipeline(limiter: RateLimiter):
    """A pipeline for mailing 5 ("Hi") whose threads never start; nothing listens at its Bot API (a
    request that left would come back `transient`, never as a missed slot)."""
    from workers.pipeline import Pipeline

    return Pipeline(
        engine=None,
        client=TelegramClient("1:T", "http://127.0.0.1:9"),
        limiter=limiter,
        owner="test",
        paid=False,
        connections=1,
        calls={5: render({"text": "Hi", "buttons": [], "media": None})},
    )
