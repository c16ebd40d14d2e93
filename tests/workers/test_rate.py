"""The headline promise: 2,000 recipients at BROADCAST_RATE=25, each once, at the rate (+1 for jitter)."""

from __future__ import annotations

RATE = 25
AUDIENCE = 2000


def test_two_thousand_at_25_per_second(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(AUDIENCE)
    mailing = new_mailing()
    # Two workers share the mailing through the one limiter in Redis.
    processes.worker(rate=RATE)
    processes.worker(rate=RATE)
    assert client.post(f"/api/v1/mailings/{mailing['id']}/send-now", headers=admin).status_code == 200

    wait_for(
        lambda: ledger.mailing(mailing["id"])["status"] == "finished", 300, "the mailing to finish", every=1
    )
    assert ledger.counts(mailing["id"]) == {"sent": AUDIENCE + 1}  # the admin too

    stats = sandbox.stats()
    chats = stats["chats"]
    assert all(chats[str(chat_id)]["sent"] == 1 for chat_id in ids), "a chat got the mailing twice or never"
    assert stats["violations"] == 0 and stats["too_many_requests"] == 0
    # Sends leave exactly 1/RATE apart; Telegram counts arrivals, and arrival jitter below one
    # interval (40 ms) can bring one more into a second: RATE + 1 is the bound (issue 7), and
    # Telegram's burst absorbs it (no 429 above).
    assert stats["max_in_any_second"] <= RATE + 1, stats["per_second"]
    assert stats["max_in_sliding_second"] <= RATE + 1

    # Measured figures for the closing note (printed with -s).
    seconds = sorted(int(second) for second in stats["per_second"])
    full = [stats["per_second"][str(second)] for second in seconds[1:-1]]
    print(
        f"\nrate: {sum(full) / len(full):.2f} msg/s over {len(full)} full seconds (target {RATE}); "
        f"max in any second {stats['max_in_any_second']}, max in a sliding second "
        f"{stats['max_in_sliding_second']}"
    )
