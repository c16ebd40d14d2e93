"""Workers killed with SIGKILL mid-send: every delivery ends final, no chat gets the mailing twice."""

from __future__ import annotations

RATE = 40
AUDIENCE = 300


def test_two_sigkills_mid_send_then_restart(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(AUDIENCE)
    mailing = new_mailing()
    mailing_id = mailing["id"]
    # Telegram answers slowly (the message is delivered at once): requests are in flight at the kills.
    sandbox.add_fault("sendMessage", "delay", seconds=0.4)
    processes.scheduler(rate=RATE)
    worker = processes.worker(rate=RATE)
    assert client.post(f"/api/v1/mailings/{mailing_id}/send-now", headers=admin).status_code == 200

    in_flight_at_kills: set[int] = set()
    # Not at a multiple of the batch size (80 here), where a driver has nothing in flight.
    for threshold in (40, 150):
        wait_for(lambda t=threshold: ledger.counts(mailing_id).get("sent", 0) >= t, 120, f"{threshold} sent")
        processes.kill(worker)
        # The dead worker's requests in flight: marked sending, never closed.
        in_flight_at_kills |= {row["id"] for row in ledger.rows(mailing_id) if row["status"] == "sending"}
        worker = processes.worker(rate=RATE)

    wait_for(
        lambda: ledger.mailing(mailing_id)["status"] == "finished", 240, "the mailing to finish", every=0.5
    )
    counts = ledger.counts(mailing_id)
    print(f"\nafter two SIGKILLs: {counts}; requests in flight at the kills: {len(in_flight_at_kills)}")
    assert set(counts) <= {"sent", "unknown"}, counts
    assert sum(counts.values()) == AUDIENCE + 1
    # Only requests that were in flight when a worker died may be unknown.
    unknown = {row["id"] for row in ledger.rows(mailing_id) if row["status"] == "unknown"}
    assert unknown <= in_flight_at_kills

    received = sandbox.stats()["chats"]
    rows = {row["user_id"]: row for row in ledger.rows(mailing_id)}
    for chat_id in ids:
        got = received.get(str(chat_id), {}).get("sent", 0)
        assert got <= 1, f"chat {chat_id} got the mailing {got} times"
        if rows[chat_id]["status"] == "sent":
            assert got == 1
    # What was unknown is recorded with its reason, for the report and a deliberate retry.
    assert all(row["last_error"] for row in rows.values() if row["status"] == "unknown")
