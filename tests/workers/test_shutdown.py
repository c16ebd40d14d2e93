"""SIGTERM on a worker mid-send: requests in flight finish, leases are released, nothing is unknown."""

from __future__ import annotations

import signal

RATE = 40
AUDIENCE = 300


def test_sigterm_mid_send_stops_cleanly_and_another_worker_finishes(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for, redis
):
    ids = subscribers(AUDIENCE)
    mailing_id = new_mailing()["id"]
    # Telegram answers slowly (delivering at once), so requests are in flight when the stop comes.
    sandbox.add_fault("sendMessage", "delay", seconds=0.3)
    worker = processes.worker(rate=RATE)
    assert client.post(f"/api/v1/mailings/{mailing_id}/send-now", headers=admin).status_code == 200
    wait_for(lambda: ledger.counts(mailing_id).get("sent", 0) >= 60, 120, "60 sent")

    # What a platform's stop or `docker stop` does: SIGTERM to the worker process only.
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0
    counts = ledger.counts(mailing_id)
    print(f"\nafter SIGTERM: {counts}")
    assert counts.get("sending", 0) == 0, counts
    assert counts.get("unknown", 0) == 0, counts
    assert counts.get("pending", 0) > 0, counts
    assert all(row["lease_owner"] is None for row in ledger.rows(mailing_id) if row["status"] == "pending")

    processes.worker(rate=RATE)
    wait_for(
        lambda: ledger.mailing(mailing_id)["status"] == "finished", 240, "the mailing to finish", every=0.5
    )
    assert ledger.counts(mailing_id) == {"sent": AUDIENCE + 1}
    received = sandbox.stats()["chats"]
    assert all(received[str(chat_id)]["sent"] == 1 for chat_id in ids)
    # Both workers' sends reached /metrics' counters in Redis.
    from webapi.monitoring import LATENCY_KEY, OUTCOMES_KEY

    assert int(redis.hget(OUTCOMES_KEY, "sent")) == AUDIENCE + 1
    assert int(redis.hget(LATENCY_KEY, "count")) == AUDIENCE + 1
