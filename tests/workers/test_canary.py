"""A canary sends to its sample first and the rest only once the sample went well; every mailing
pauses itself when its sends keep failing. The ledger steps directly, then end to end through real
workers, the scheduler and the sandbox."""

from __future__ import annotations

from datetime import UTC

import pytest

from webapi.extensions import db
from webapi.services import auto_pause, canary
from webapi.services import ledger as delivery_ledger

OWNER = "host:1:canary-test"
# A file_id the bot never received: Telegram answers every send of it 400 (so does the sandbox).
BROKEN_PHOTO = {"type": "photo", "file_id": "AgACAgIAAxkBAAIBroken-file-id"}


def _post(client, headers, path, **body):
    response = client.post(f"/api/v1/mailings{path}", json=body or None, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _started(app, mailing_id: int) -> None:
    with app.app_context():
        assert delivery_ledger.start(mailing_id, force=True)
        delivery_ledger.fan_out(mailing_id)
        db.session.commit()


def _claim_all(app, mailing_id: int, sample: bool) -> list:
    with app.app_context():
        return delivery_ledger.claim_batch(db.engine, mailing_id, OWNER, 1_000, 60, sample=sample)


def _close(app, mailing_id: int, claims: list, status: str, error: str | None = None) -> None:
    with app.app_context():
        marked = delivery_ledger.mark_sending_many(db.engine, [c.id for c in claims], OWNER, 60)
        assert len(marked) == len(claims)
        closings = [delivery_ledger.Closing(c.id, mailing_id, status, error=error) for c in claims]
        assert delivery_ledger.close_many(db.engine, OWNER, closings) == len(claims)


def test_a_mailing_saved_with_no_canary_sends_to_everyone_at_once(app, subscribers, new_mailing, ledger):
    # The bot saves a draft with "canary": null; stored as JSON null it read as a canary whose sample
    # was never chosen, and no driver could claim a row.
    subscribers(5)
    m = new_mailing(canary=None)["id"]
    with app.app_context():
        assert db.session.execute(
            db.text("SELECT canary IS NULL FROM mailings WHERE id = :m"), {"m": m}
        ).scalar()
        assert delivery_ledger.sendable_ids(db.engine) == []
    _started(app, m)
    with app.app_context():
        assert delivery_ledger.sendable_ids(db.engine) == [(m, False)]
    assert len(_claim_all(app, m, sample=False)) == 6


@pytest.mark.parametrize(("size", "expected"), [({"count": 7}, 7), ({"percent": 10}, 5)])
def test_the_sample_is_exact_random_and_alone_claimable_until_the_canary_passes(
    app, subscribers, new_mailing, ledger, size, expected
):
    ids = subscribers(40)
    m = new_mailing(canary={**size, "wait_minutes": 5})["id"]
    _started(app, m)
    rows = ledger.rows(m)
    assert len(rows) == 41  # the admin is a subscriber too
    sample = {row["user_id"] for row in rows if row["canary"]}
    assert len(sample) == expected
    assert sample != set(ids[:expected])  # not simply the first ids

    # Only the sample goes, even to a driver that has not heard of the canary (it claims the rest too).
    claims = _claim_all(app, m, sample=False)
    assert {c.user_id for c in claims} == sample
    assert _claim_all(app, m, sample=True) == []  # all taken
    with app.app_context():
        assert canary.end_sample(db.engine, m) is None  # the sample is still being sent
    _close(app, m, claims, "sent")
    with app.app_context():
        assert canary.end_sample(db.engine, m) == canary.WAITING
        assert canary.end_sample(db.engine, m) is None  # once
        # Waiting, the mailing is no driver's business, and its rest cannot be claimed.
        assert m not in dict(delivery_ledger.sendable_ids(db.engine))
        assert canary.judge(db.engine, m) is None  # not due for 5 minutes
    assert _claim_all(app, m, sample=False) == []

    ledger.sql("UPDATE mailings SET canary_until = now() WHERE id = :m", m=m)
    with app.app_context():
        assert canary.due_ids(db.engine) == [m]
        assert canary.judge(db.engine, m) == canary.PASSED
        assert dict(delivery_ledger.sendable_ids(db.engine))[m] is False
    assert {c.user_id for c in _claim_all(app, m, sample=False)} == {r["user_id"] for r in rows} - sample


def test_a_sample_that_failed_more_than_allowed_pauses_the_mailing_with_its_reasons(
    app, subscribers, new_mailing, ledger
):
    subscribers(30)
    m = new_mailing(canary={"count": 10, "max_failure_share": 0.3})["id"]
    _started(app, m)
    claims = _claim_all(app, m, sample=True)
    _close(app, m, claims[:6], "sent")
    _close(app, m, claims[6:9], "failed", error="Bad Request: wrong file identifier/HTTP URL specified")
    _close(app, m, claims[9:], "blocked", error="Forbidden: bot was blocked by the user")
    with app.app_context():
        assert canary.end_sample(db.engine, m) == canary.PAUSED
    mailing = ledger.mailing(m)
    assert mailing["status"] == "paused" and mailing["canary_passed_at"] is None
    assert mailing["pause_reason"] == {
        "code": "canary",
        "sends": 10,
        "failed": 3,
        "blocked": 1,
        "unknown": 0,
        "share": 0.4,
        "max_failure_share": 0.3,
        "errors": [
            {"error": "Bad Request: wrong file identifier/HTTP URL specified", "count": 3},
            {"error": "Forbidden: bot was blocked by the user", "count": 1},
        ],
    }
    # Nobody outside the sample was reached, and nothing more can be claimed.
    assert {row["status"] for row in ledger.rows(m) if not row["canary"]} == {"pending"}
    assert _claim_all(app, m, sample=True) == [] and _claim_all(app, m, sample=False) == []


def test_the_failure_window_judges_recent_sends_and_ignores_blocked_users():
    window = auto_pause.FailureWindow(200)
    for _ in range(49):
        window.add("failed", "Bad Request: wrong file identifier/HTTP URL specified")
    assert not window.tripped(0.5)  # fewer than a quarter of the window judged
    window.add("failed", "Bad Request: wrong file identifier/HTTP URL specified")
    assert window.tripped(0.5)
    reason = window.reason(0.5)
    assert reason["code"] == "auto_pause" and (reason["sends"], reason["failed"], reason["share"]) == (
        50,
        50,
        1.0,
    )
    assert reason["errors"] == [
        {"error": "Bad Request: wrong file identifier/HTTP URL specified", "count": 50}
    ]

    healthy = auto_pause.FailureWindow(200)
    for n in range(400):
        healthy.add("blocked" if n % 2 else "sent", None)
        healthy.add("pending", "retry after 3")  # not a send
    assert not healthy.tripped(0.5) and healthy.failures == 0 and len(healthy.outcomes) == 200
    for _ in range(100):
        healthy.add("failed", "chat not found")
    assert not healthy.tripped(0.5)  # exactly half of the last 200: not above it
    healthy.add("failed", "chat not found")
    assert healthy.tripped(0.5) and healthy.failures == 101


def _notices(sandbox, chat_id: int, start: str) -> list[dict]:
    return [msg for msg in sandbox.messages(chat_id) if (msg.get("text") or "").startswith(start)]


def test_a_canary_with_a_broken_file_pauses_after_its_sample_and_never_reaches_the_rest(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for, staff_chats
):
    ids = subscribers(300)
    m = new_mailing(media=BROKEN_PHOTO, canary={"count": 20, "wait_minutes": 0.05})["id"]
    processes.worker(rate=100)
    processes.scheduler()
    _post(client, admin, f"/{m}/send-now")
    wait_for(lambda: ledger.mailing(m)["status"] == "paused", 60, "the canary to pause the mailing")
    wait_for(lambda: not ledger.counts(m).get("sending"), 30, "requests in flight to end")

    rows = ledger.rows(m)
    sample = [row for row in rows if row["canary"]]
    assert len(sample) == 20 and {row["status"] for row in sample} == {"failed"}
    assert {row["status"] for row in rows if not row["canary"]} == {"pending"}
    # Telegram saw sends to the sample only.
    assert sandbox.stats()["requests"].get("sendphoto", 0) == 20
    body = client.get(f"/api/v1/mailings/{m}", headers=admin).get_json()
    assert body["status"] == "paused" and body["canary_passed_at"] is None
    reason = body["pause_reason"]
    assert (reason["code"], reason["sends"], reason["failed"], reason["share"]) == ("canary", 20, 20, 1.0)
    assert reason["errors"] == [
        {"error": "Bad Request: wrong file identifier/HTTP URL specified", "count": 20}
    ]

    # The author (an admin) and the other staff who want reports hear why, with Resume and Cancel.
    for chat, start in ((1001, "🐤 Canary failed"), (staff_chats, "🐤 Пробная отправка не удалась")):
        (notice,) = wait_for(lambda c=chat, s=start: _notices(sandbox, c, s), 30, f"the notice in {chat}")
        assert "20 of its sample's 20" in notice["text"] or "Из 20 отправок" in notice["text"]
        assert "wrong file identifier" in notice["text"]
        buttons = [b["callback_data"] for b in notice["reply_markup"]["inline_keyboard"][0]]
        assert buttons == [f"mc:resume:{m}", f"mc:cancel:{m}"]
    assert all(sandbox.messages(chat) == [] for chat in ids)

    cancelled = _post(client, admin, f"/{m}/cancel")
    assert cancelled["status"] == "cancelled" and cancelled["pause_reason"] is None
    assert ledger.counts(m) == {"failed": 20, "cancelled": len(ids) + 2 - 20}


def test_a_healthy_canary_goes_on_with_the_rest_by_itself_after_its_wait(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(120)
    m = new_mailing(text="Canary, then everyone", canary={"percent": 10, "wait_minutes": 0.05})["id"]
    processes.worker(rate=100)
    processes.scheduler()
    _post(client, admin, f"/{m}/send-now")
    wait_for(lambda: ledger.mailing(m)["status"] == "finished", 90, "the mailing to finish")

    mailing = ledger.mailing(m)
    assert mailing["canary_until"] is not None and mailing["canary_passed_at"] >= mailing["canary_until"]
    rows = ledger.rows(m)
    sample = [row for row in rows if row["canary"]]
    assert len(sample) == 13  # 10 % of 121, rounded up
    assert {row["status"] for row in rows} == {"sent"}
    # Every sample row went before the wait began, every other after it ended.
    assert max(row["sent_at"] for row in sample) <= mailing["canary_until"]
    assert min(row["sent_at"] for row in rows if not row["canary"]) >= mailing["canary_passed_at"]
    for chat in ids:
        assert [x["text"] for x in sandbox.messages(chat)] == ["Canary, then everyone"]


def test_a_mailing_whose_sends_fail_pauses_itself_tells_its_author_and_resumes_on_a_fresh_window(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(1_000)
    m = new_mailing(media=BROKEN_PHOTO)["id"]
    processes.worker(rate=100, AUTO_PAUSE_WINDOW="100", AUTO_PAUSE_FAILURE_SHARE="0.5")
    _post(client, admin, f"/{m}/send-now")
    wait_for(lambda: ledger.mailing(m)["status"] == "paused", 60, "the mailing to pause itself")
    wait_for(lambda: not ledger.counts(m).get("sending"), 30, "requests in flight to end")

    first = ledger.counts(m)
    # A quarter of the window judged, plus what was in flight: far fewer than the audience.
    assert 25 <= first["failed"] < 150 and first["pending"] > 800, first
    body = client.get(f"/api/v1/mailings/{m}", headers=admin).get_json()
    reason = body["pause_reason"]
    assert reason["code"] == "auto_pause" and reason["failed"] == reason["sends"] >= 25
    assert reason["errors"][0]["error"] == "Bad Request: wrong file identifier/HTTP URL specified"
    (notice,) = wait_for(
        lambda: _notices(sandbox, 1001, "⚠️ Mailing paused itself"), 30, "the author's notice"
    )
    assert "wrong file identifier" in notice["text"]
    assert [b["callback_data"] for b in notice["reply_markup"]["inline_keyboard"][0]] == [
        f"mc:resume:{m}",
        f"mc:cancel:{m}",
    ]
    # The progress message says it too.
    wait_for(
        lambda: any("\n⚠️ Paused itself: " in x["text"] for x in _notices(sandbox, 1001, "Engine test — ⏸")),
        30,
        "the progress message to say why",
    )

    # Resumed with the file still broken: judged on new sends only, so it sends a quarter window more.
    resumed = _post(client, admin, f"/{m}/resume")
    assert resumed["status"] == "sending" and resumed["pause_reason"] is None
    wait_for(lambda: ledger.mailing(m)["status"] == "paused", 60, "the mailing to pause itself again")
    wait_for(lambda: not ledger.counts(m).get("sending"), 30, "requests in flight to end")
    second = ledger.counts(m)
    assert second["failed"] - first["failed"] >= 25, (first, second)
    assert second["pending"] > 600
    assert all(sandbox.messages(chat) == [] for chat in ids)


def test_the_judge_comes_back_when_early_and_reconcile_judges_a_canary_whose_job_was_lost(
    telegram_app, subscribers, new_mailing, ledger, redis
):
    from rq import Queue
    from rq_scheduler import Scheduler

    from workers import jobs

    subscribers(10)
    m = new_mailing(canary={"count": 3, "wait_minutes": 5})["id"]
    _started(telegram_app, m)
    _close(telegram_app, m, _claim_all(telegram_app, m, sample=True), "sent")
    with telegram_app.app_context():
        assert canary.end_sample(db.engine, m) == canary.WAITING
        # A judge that fires early (another host's clock) puts itself back at the end of the wait.
        assert jobs.judge_canary(m) == f"mailing {m}: canary not due"
    scheduled = {job.id: at for job, at in Scheduler(connection=redis).get_jobs(with_times=True)}
    until = ledger.mailing(m)["canary_until"]
    # rq-scheduler keeps whole seconds (naive UTC): the whole second after the wait's end.
    after_by = (scheduled[f"mailing-{m}-canary"] - until.astimezone(UTC).replace(tzinfo=None)).total_seconds()
    assert 0 < after_by <= 1

    # Redis lost the job; the wait is over: reconcile enqueues a judge, which lets the rest go.
    redis.flushdb()
    ledger.sql("UPDATE mailings SET canary_until = now() - interval '1 second' WHERE id = :m", m=m)
    with telegram_app.app_context():
        jobs.reconcile()
    queued = Queue("default", connection=redis).jobs
    assert [(job.func_name, job.args) for job in queued] == [("workers.jobs.judge_canary", (m,))]
    with telegram_app.app_context():
        assert jobs.judge_canary(m) == f"mailing {m}: canary passed"
    assert ledger.mailing(m)["canary_passed_at"] is not None
