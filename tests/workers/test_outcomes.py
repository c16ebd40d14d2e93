"""Telegram's answers end each delivery as DESIGN says; 429 storms cost nothing but time."""

from __future__ import annotations


def _send_now(client, admin, mailing_id):
    response = client.post(f"/api/v1/mailings/{mailing_id}/send-now", headers=admin)
    assert response.status_code == 200, response.get_json()


def test_429_storm_no_violations_no_failures(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(40)
    # Telegram lets through far less than we send: 429s with retry_after all the way.
    sandbox.set_limits(global_rate=8, global_burst=5)
    mailing = new_mailing()
    processes.worker(rate=25)
    processes.worker(rate=25)
    _send_now(client, admin, mailing["id"])
    wait_for(lambda: ledger.mailing(mailing["id"])["status"] == "finished", 120, "the mailing to finish")

    stats = sandbox.stats()
    assert stats["too_many_requests"] > 0, "the storm did not happen"
    assert stats["violations"] == 0
    assert ledger.counts(mailing["id"]) == {"sent": len(ids) + 1}
    assert all(stats["chats"][str(chat_id)]["sent"] == 1 for chat_id in ids)
    # A 429 is not an attempt: every row went out on its first real try.
    assert {row["attempts"] for row in ledger.rows(mailing["id"])} == {1}


def test_blocked_deactivated_missing_and_migrated(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for, make_user
):
    blocked, deactivated, missing, other, another, fine = subscribers(6)
    sandbox.set_status(blocked, "blocked")
    sandbox.set_status(deactivated, "deactivated")
    sandbox.set_status(missing, "missing")
    group = sandbox.create_group("Old group")["id"]
    new_group = sandbox.migrate_group(group)
    make_user(group)  # a group chat subscribed to the bot
    mailing = new_mailing(text="Outcomes")
    processes.worker(rate=50)
    _send_now(client, admin, mailing["id"])
    wait_for(lambda: ledger.mailing(mailing["id"])["status"] == "finished", 120, "the mailing to finish")

    rows = {row["user_id"]: row for row in ledger.rows(mailing["id"])}
    assert rows[blocked]["status"] == "blocked" and "blocked" in rows[blocked]["last_error"]
    assert rows[deactivated]["status"] == "blocked" and "deactivated" in rows[deactivated]["last_error"]
    assert rows[missing]["status"] == "failed" and "chat not found" in rows[missing]["last_error"]
    assert rows[group]["status"] == "sent" and rows[group]["chat_id"] == new_group
    assert [m["text"] for m in sandbox.messages(new_group)] == ["Outcomes"]
    for chat_id in (other, another, fine):
        assert rows[chat_id]["status"] == "sent"
    assert all(row["attempts"] == 1 for row in rows.values())
    assert all(m["copies"] == 1 for chat_id in (other, another, fine) for m in sandbox.messages(chat_id))

    users = dict(ledger.sql("SELECT tg_id, status FROM users"))
    assert users[blocked] == "blocked" and users[deactivated] == "blocked"
    assert users[missing] == "active" and users[fine] == "active"

    # The next mailing skips the users who blocked the bot.
    second = new_mailing(text="Second")
    _send_now(client, admin, second["id"])
    wait_for(lambda: ledger.mailing(second["id"])["status"] == "finished", 120, "the second mailing")
    recipients = {row["user_id"] for row in ledger.rows(second["id"])}
    assert blocked not in recipients and deactivated not in recipients and fine in recipients


def test_a_dropped_answer_is_unknown_and_never_resent(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    (chat_id,) = subscribers(1)
    mailing = new_mailing(text="Maybe")
    # One chat, one request: the admin is out of the audience, gets no progress message and, with
    # reports turned off, no report.
    ledger.sql("UPDATE users SET status = 'unsubscribed', wants_reports = false WHERE tg_id = 1001")
    ledger.sql("UPDATE mailings SET author_tg_id = NULL WHERE id = :m", m=mailing["id"])
    # The request reaches Telegram and the message is delivered, but no answer comes back.
    sandbox.add_fault("sendMessage", "drop", count=1)
    processes.worker(rate=50)
    _send_now(client, admin, mailing["id"])
    wait_for(lambda: ledger.mailing(mailing["id"])["status"] == "finished", 60, "the mailing to finish")
    row = next(row for row in ledger.rows(mailing["id"]) if row["user_id"] == chat_id)
    assert row["status"] == "unknown" and "connection lost" in row["last_error"]
    assert [m["copies"] for m in sandbox.messages(chat_id)] == [1]
    assert sandbox.stats()["requests"].get("sendmessage") == 1


def test_a_500_leaves_delivery_in_doubt_and_is_never_sent_again(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(8)
    mailing = new_mailing(text="In doubt")
    # Telegram answers the first two calls with 500s: it may have delivered them (here it did not).
    sandbox.add_fault("sendMessage", "error", count=2)
    processes.worker(rate=50)
    _send_now(client, admin, mailing["id"])
    wait_for(lambda: ledger.mailing(mailing["id"])["status"] == "finished", 120, "the mailing to finish")

    rows = {row["user_id"]: row for row in ledger.rows(mailing["id"])}
    doubtful = [chat for chat, row in rows.items() if row["status"] == "unknown"]
    # One of the two may have hit the author's progress message instead.
    assert 1 <= len(doubtful) <= 2
    assert all("HTTP 500" in rows[chat]["last_error"] and rows[chat]["attempts"] == 1 for chat in doubtful)
    assert {row["status"] for chat, row in rows.items() if chat not in doubtful} == {"sent"}
    assert all(sandbox.messages(chat) == [] for chat in doubtful if chat in ids)
