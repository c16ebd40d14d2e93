"""The sending promise under faults, through real rq workers and the sandbox: an answer that leaves
delivery in doubt is never sent again, an outage of Telegram pauses everyone, and a Postgres
outage loses no outcome a live worker knows."""

from __future__ import annotations

import time

import pytest

from tests.outage_proxy import OutageProxy


def _send_now(client, admin, mailing_id):
    response = client.post(f"/api/v1/mailings/{mailing_id}/send-now", headers=admin)
    assert response.status_code == 200, response.get_json()


def _received(sandbox, chat_ids) -> dict[int, int]:
    """Messages each chat received from the bot."""
    chats = sandbox.stats()["chats"]
    return {chat_id: chats.get(str(chat_id), {}).get("sent", 0) for chat_id in chat_ids}


def test_delivered_then_502_is_unknown_and_never_sent_twice(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(300)
    # One send in twenty reaches the chat and is still answered 502 by Telegram's front end.
    sandbox.add_fault("sendMessage", "error", status=502, deliver=True, probability=0.05)
    m = new_mailing()["id"]
    processes.worker(rate=25)
    processes.worker(rate=25)
    _send_now(client, admin, m)
    wait_for(lambda: ledger.mailing(m)["status"] == "finished", 240, "the mailing to finish")

    rows = {row["user_id"]: row for row in ledger.rows(m) if row["user_id"] in set(ids)}
    assert {row["status"] for row in rows.values()} <= {"sent", "unknown"}
    doubtful = [row for row in rows.values() if row["status"] == "unknown"]
    assert doubtful, "the fault did not fire"
    assert all("HTTP 502" in row["last_error"] and row["attempts"] == 1 for row in doubtful)
    # Every doubtful one did arrive (once), and nobody got the mailing twice.
    received = _received(sandbox, ids)
    assert set(received.values()) == {1}
    assert len(doubtful) <= sandbox.faults()["delivered"]["error"]


def test_telegram_answering_502_for_20_seconds_pauses_sending_then_it_resumes(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(200)
    m = new_mailing()["id"]
    processes.worker(rate=25)
    processes.worker(rate=25)
    _send_now(client, admin, m)
    wait_for(lambda: ledger.counts(m).get("sent", 0) >= 30, 60, "30 sent")
    sandbox.add_fault("*", "error", status=502, duration=20)
    wait_for(lambda: ledger.mailing(m)["status"] == "finished", 240, "the mailing to finish")

    counts = ledger.counts(m)
    # Only the requests already in flight when the trouble began are in doubt: the breaker tripped
    # on the third troubled answer, and only harmless probes (getMe) went out until it was over.
    assert counts.get("unknown", 0) <= 5, counts
    assert counts["sent"] + counts.get("unknown", 0) == len(ids) + 1
    fired = sandbox.faults()["fired"]["error"]
    probes = sandbox.stats()["requests"].get("getme", 0)
    assert fired <= counts.get("unknown", 0) + probes
    received = _received(sandbox, ids)
    assert max(received.values()) == 1
    unknown = {row["user_id"] for row in ledger.rows(m) if row["status"] == "unknown"}
    assert all(received[chat] == 0 for chat in unknown if chat in received)  # 502 without delivery


@pytest.mark.parametrize("rate,audience", [(25, 300), (200, 2000)])
def test_a_postgres_outage_in_mid_send_loses_no_outcome(
    rate, audience, services, client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(audience)
    m = new_mailing()["id"]
    with OutageProxy.for_url(services["database_url"]) as proxy:
        through_proxy = proxy.url_for(services["database_url"])
        processes.worker(rate=rate, DATABASE_URL=through_proxy)
        processes.worker(rate=rate, DATABASE_URL=through_proxy)
        _send_now(client, admin, m)
        wait_for(lambda: ledger.counts(m).get("sent", 0) >= audience // 5, 120, "a fifth sent")
        cut_at = time.monotonic()
        restored = proxy.outage(6)
        wait_for(restored.is_set, 30, "Postgres to be back")
        wait_for(lambda: ledger.mailing(m)["status"] == "finished", 240, "the mailing to finish")
        late_by = time.monotonic() - cut_at

    # Every outcome the workers knew was written once Postgres answered: nobody is in doubt.
    assert ledger.counts(m) == {"sent": audience + 1}
    assert set(_received(sandbox, ids).values()) == {1}
    # It finished about six seconds late (the rest of the audience at the rate, plus the outage),
    # not after a reconcile or a driver budget.
    rest = (audience - audience // 5) / rate
    assert late_by < rest + 6 + 10, f"finished {late_by:.1f} s after the cut"
