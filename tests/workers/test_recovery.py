"""Scheduling through rq-scheduler, two schedulers at once, and a Redis that loses everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq_scheduler import Scheduler

from webapi.services.scheduling import AHEAD_SECONDS, START_LEAD_SECONDS, fan_out_job_id, start_job_id


def _scheduled_at(redis, mailing_id) -> float | None:
    """When the start job fires, as the mailing's send_at (the job is due a little early and waits)."""
    at = Scheduler(connection=redis).connection.zscore(Scheduler.scheduled_jobs_key, start_job_id(mailing_id))
    return None if at is None else at + START_LEAD_SECONDS


def _fan_out_at(redis, mailing_id) -> float | None:
    """When the fan-out job fires, as the mailing's send_at (it is due AHEAD_SECONDS early)."""
    at = redis.zscore(Scheduler.scheduled_jobs_key, fan_out_job_id(mailing_id))
    return None if at is None else at + AHEAD_SECONDS


def test_saving_moves_and_deleting_removes_the_start_job(client, admin, new_mailing, redis):
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    mailing = new_mailing(send_at=when)
    assert _scheduled_at(redis, mailing["id"]) == _fan_out_at(redis, mailing["id"]) == when.timestamp()

    later = when + timedelta(hours=1)
    response = client.patch(
        f"/api/v1/mailings/{mailing['id']}",
        json={"version": mailing["version"], "send_at": later.isoformat()},
        headers=admin,
    )
    assert response.status_code == 200
    assert _scheduled_at(redis, mailing["id"]) == _fan_out_at(redis, mailing["id"]) == later.timestamp()
    assert len(redis.zrange(Scheduler.scheduled_jobs_key, 0, -1)) == 2

    assert client.delete(f"/api/v1/mailings/{mailing['id']}", headers=admin).status_code == 204
    assert _scheduled_at(redis, mailing["id"]) is None and _fan_out_at(redis, mailing["id"]) is None

    other = new_mailing(send_at=when)
    assert client.post(f"/api/v1/mailings/{other['id']}/cancel", headers=admin).status_code == 200
    assert _scheduled_at(redis, other["id"]) is None and _fan_out_at(redis, other["id"]) is None


def test_two_schedulers_start_once_and_report_once(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for, staff_chats
):
    ids = subscribers(30)
    mailing = new_mailing(send_at=datetime.now(UTC) + timedelta(seconds=3))
    m = mailing["id"]
    processes.scheduler(reconcile_every=1)
    processes.scheduler(reconcile_every=1)
    processes.worker()
    processes.worker()
    wait_for(lambda: ledger.mailing(m)["report_sent_at"], 90, "the mailing to finish and report")

    assert ledger.counts(m) == {"sent": len(ids) + 2}  # admin and moderator too
    assert all(message["copies"] == 1 for chat_id in ids for message in sandbox.messages(chat_id))
    starts = ledger.sql(
        "SELECT count(*) FROM audit_log WHERE action = 'mailing.started' AND object_id = :m", m=str(m)
    )
    assert starts[0][0] == 1
    # One report each, in the reader's language: the admin's default (en), the moderator's own (ru).
    for staff, title, sent in (
        (1001, "Mailing finished", "Sent"),
        (staff_chats, "Рассылка завершена", "Доставлено"),
    ):
        reports = wait_for(
            lambda s=staff, t=title: [x for x in sandbox.messages(s) if t in x.get("text", "")],
            30,
            "the report",
        )
        assert len(reports) == 1 and f"{sent}: {len(ids) + 2}" in reports[0]["text"]

    # The author's progress message ends as the final state, without buttons (its edit follows the
    # report in the author's chat, a second later: one message a second there).
    def final_progress() -> dict | None:
        # The progress message (named after the mailing), whether the mailing's own message to the
        # author went before it or after.
        found = [x for x in sandbox.messages(1001) if x.get("text", "").startswith("Engine test —")]
        return found[0] if found and "Finished" in found[0]["text"] else None

    progress = wait_for(final_progress, 30, "the progress message's final edit")
    assert not progress.get("reply_markup", {}).get("inline_keyboard")


def test_redis_flushed_mid_send_reconcile_resumes(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for, redis
):
    ids = subscribers(200)
    running = new_mailing(text="Running")
    due_soon = new_mailing(text="Due soon", send_at=datetime.now(UTC) + timedelta(seconds=4))
    worker = processes.worker(rate=40)
    assert client.post(f"/api/v1/mailings/{running['id']}/send-now", headers=admin).status_code == 200
    wait_for(lambda: ledger.counts(running["id"]).get("sent", 0) >= 30, 60, "30 sent")

    # Redis loses everything: queues, the start job of the second mailing, driver slots, limiter.
    processes.kill(worker)
    redis.flushdb()
    processes.scheduler(rate=40)
    processes.worker(rate=40)

    for mailing in (running, due_soon):
        wait_for(
            lambda m=mailing["id"]: ledger.mailing(m)["status"] == "finished", 120, "the mailing to finish"
        )
    for mailing in (running, due_soon):
        counts = ledger.counts(mailing["id"])
        assert set(counts) <= {"sent", "unknown"} and sum(counts.values()) == len(ids) + 1
    received = sandbox.stats()["chats"]
    assert all(received[str(chat_id)]["sent"] <= 2 for chat_id in ids)  # two mailings, each at most once
    for chat_id in ids[:20]:
        texts = [message["text"] for message in sandbox.messages(chat_id)]
        assert sorted(set(texts)) == sorted(texts)
