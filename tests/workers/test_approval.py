"""Two-person approval with real workers and the scheduler: a due mailing waiting for approval is not
started, everyone concerned is told, and it starts once approved."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest

AUTHOR, APPROVER = 1001, 1002


@pytest.fixture
def threshold(app):
    """APPROVAL_THRESHOLD for the in-process API (whoever saves a mailing decides whether it waits)."""
    original = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(original, approval_threshold=2)
    yield 2
    app.config["SETTINGS"] = original


def _texts(sandbox, chat_id: int, start: str) -> list[dict]:
    return [m for m in sandbox.messages(chat_id) if m.get("text", "").startswith(start)]


def _buttons(message: dict) -> list[str]:
    return [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


def test_a_due_mailing_waits_for_approval_and_starts_once_approved(
    client, admin, moderator, sandbox, subscribers, new_mailing, processes, ledger, wait_for, threshold
):
    subscribers(5)
    mailing = new_mailing(send_at=datetime.now(UTC) + timedelta(seconds=3))
    m = mailing["id"]
    assert mailing["approval"]["required"] is True
    processes.scheduler(reconcile_every=2)
    processes.worker()

    # Saved: the approver (not the author) is asked, with Approve and Preview.
    wait_for(lambda: _texts(sandbox, APPROVER, "🔐 Approval needed"), 60, "the approver to be asked")
    (asked,) = _texts(sandbox, APPROVER, "🔐 Approval needed")
    assert _buttons(asked) == [f"ap:ok:{m}:{mailing['version']}", f"ap:view:{m}"]
    assert f"Recipients: {5 + 2}" in asked["text"]  # the subscribers and the two staff
    # Due: the approver is reminded and the author told, by reconcile; nothing starts meanwhile.
    wait_for(lambda: _texts(sandbox, AUTHOR, "⏰ Your mailing waits"), 60, "the author to be told")
    wait_for(lambda: _texts(sandbox, APPROVER, "⏰ Waiting for approval"), 60, "the approver's reminder")
    (told,) = _texts(sandbox, AUTHOR, "⏰ Your mailing waits")
    assert "reply_markup" not in told or not _buttons(told)
    assert not _texts(sandbox, AUTHOR, "🔐 Approval needed")
    assert ledger.mailing(m)["status"] == "scheduled" and ledger.mailing(m)["started_at"] is None
    assert ledger.counts(m) == {}

    approved = client.post(f"/api/v1/mailings/{m}/approve", headers=moderator)

    assert approved.status_code == 200 and approved.get_json()["status"] == "sending"
    wait_for(lambda: ledger.mailing(m)["status"] == "finished", 60, "the mailing to finish")
    assert ledger.counts(m) == {"sent": 7}
    # The reminders were claimed once, however many reconcile runs saw the mailing waiting.
    assert len(_texts(sandbox, APPROVER, "⏰ Waiting for approval")) == 1
    assert len(_texts(sandbox, AUTHOR, "⏰ Your mailing waits")) == 1
    assert len(_texts(sandbox, APPROVER, "🔐 Approval needed")) == 1


def test_concurrent_reminders_send_one_round(
    app, client, admin, moderator, subscriber, sandbox, telegram_app, ledger, threshold
):
    from workers import approval

    created = client.post(
        "/api/v1/mailings",
        json={"name": "Waits", "text": "Hi", "send_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        headers=admin,
    ).get_json()
    ledger.sql("UPDATE mailings SET send_at = now() - interval '1 minute' WHERE id = :m", m=created["id"])
    told, start = [], threading.Barrier(4)

    def remind() -> None:
        with app.app_context():
            start.wait()
            told.append(approval.remind(created["id"]))

    threads = [threading.Thread(target=remind) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(told) == [0, 0, 0, 2]  # the author and the one approver, once
    # In the bot's language (these staff have none of their own): BOT_LANGUAGE, Russian by default.
    (author,) = _texts(sandbox, AUTHOR, "⏰ Ваша рассылка ждёт одобрения: Waits")
    (approver,) = _texts(sandbox, APPROVER, "⏰ Ждёт одобрения: Waits")
    assert _buttons(approver) == [f"ap:ok:{created['id']}:1", f"ap:view:{created['id']}"]
    assert not sandbox.messages(1003)  # a subscriber is never told
    with app.app_context():
        assert approval.remind(created["id"]) == 0  # not again before REMIND_EVERY_SECONDS
        ledger.sql("UPDATE mailings SET approval_reminded_at = now() - interval '31 minutes'")
        assert approval.remind(created["id"]) == 2


def test_an_author_with_nobody_to_approve_is_told_so(
    app, client, admin, sandbox, telegram_app, ledger, threshold
):
    from workers import approval

    ledger.sql("INSERT INTO users (tg_id, first_name) SELECT g, 'S' FROM generate_series(1, 3) g")
    created = client.post(
        "/api/v1/mailings",
        json={"name": "Alone", "text": "Hi", "send_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        headers=admin,
    ).get_json()
    ledger.sql("UPDATE mailings SET send_at = now() - interval '1 minute' WHERE id = :m", m=created["id"])

    with app.app_context():
        assert approval.ask(created["id"]) == 0  # no approver to ask
        assert approval.remind(created["id"]) == 1

    (told,) = sandbox.messages(AUTHOR)
    assert "одобрить её некому" in told["text"]
