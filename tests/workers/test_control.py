"""Pause, resume, cancel and retry, end to end through the API with real workers."""

from __future__ import annotations

from webapi.services.scheduling import DRIVERS, driver_slot_key


def _post(client, headers, path, **body):
    response = client.post(f"/api/v1/mailings{path}", json=body or None, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _no_drivers(redis, mailing_id):
    # Drivers serve every mailing: with this one paused and no other sending, they all end.
    return not any(redis.exists(driver_slot_key(slot)) for slot in range(DRIVERS))


def test_pause_resume_cancel(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for, redis
):
    subscribers(150)
    mailing = new_mailing()
    m = mailing["id"]
    processes.worker(rate=20)
    _post(client, admin, f"/{m}/send-now")
    wait_for(lambda: ledger.counts(m).get("sent", 0) >= 20, 60, "20 sent")

    assert _post(client, admin, f"/{m}/pause")["status"] == "paused"
    # In-flight requests finish, then the drivers stop: nothing new starts.
    wait_for(lambda: _no_drivers(redis, m) and not ledger.counts(m).get("sending"), 60, "the drivers to stop")
    paused = ledger.counts(m)
    assert paused["pending"] > 0
    assert sandbox.stats()["sent"] == paused["sent"] + 1  # + the progress message
    # The progress message (named after the mailing), before or after the mailing's own message.
    (progress,) = [x for x in sandbox.messages(1001) if x.get("text", "").startswith("Engine test —")]
    assert [b["callback_data"] for b in progress["reply_markup"]["inline_keyboard"][0]] == [
        f"mc:resume:{m}",
        f"mc:cancel:{m}",
    ]

    assert _post(client, admin, f"/{m}/resume")["status"] == "sending"
    wait_for(lambda: ledger.counts(m).get("sent", 0) >= paused["sent"] + 20, 60, "20 more sent")

    cancelled = _post(client, admin, f"/{m}/cancel")
    assert cancelled["status"] == "cancelled" and cancelled["finished_at"]
    wait_for(lambda: _no_drivers(redis, m) and not ledger.counts(m).get("sending"), 60, "the drivers to stop")
    final = ledger.counts(m)
    assert set(final) == {"sent", "cancelled"} and final["cancelled"] > 0
    assert sandbox.stats()["sent"] == final["sent"] + 1
    stats = client.get(f"/api/v1/mailings/{m}/stats", headers=admin).get_json()
    assert stats["progress"]["pending"] == 0 and stats["progress"]["done"] == sum(final.values())

    for action in ("pause", "resume", "cancel", "send-now"):
        response = client.post(f"/api/v1/mailings/{m}/{action}", headers=admin)
        assert response.status_code == 409 and response.get_json()["error"]["code"] == "wrong_status"
    actions = [
        row[0]
        for row in ledger.sql("SELECT action FROM audit_log WHERE object_id = :m ORDER BY id", m=str(m))
    ]
    assert actions[-4:] == ["mailing.send_now", "mailing.paused", "mailing.resumed", "mailing.cancelled"]


def test_retry_failed_after_the_chats_appear(
    client, admin, moderator, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(10)
    for chat_id in ids[:3]:
        sandbox.set_status(chat_id, "missing")
    mailing = new_mailing()
    m = mailing["id"]
    processes.worker(rate=50)
    _post(client, admin, f"/{m}/send-now")
    wait_for(lambda: ledger.mailing(m)["report_sent_at"], 60, "the first report")
    assert ledger.counts(m) == {"sent": 9, "failed": 3}  # admin and moderator too

    for chat_id in ids[:3]:
        sandbox.set_status(chat_id, "active")
    result = _post(client, moderator, f"/{m}/retry", statuses=["failed"])
    assert result["requeued"] == 3 and result["mailing"]["status"] == "sending"
    wait_for(lambda: ledger.mailing(m)["report_sent_at"], 60, "the second report")
    assert ledger.counts(m) == {"sent": 12}
    assert all(message["copies"] == 1 for chat_id in ids for message in sandbox.messages(chat_id))
    # Each round reports once; the first one carried the CSV of who was not reached.
    wait_for(
        lambda: len([x for x in sandbox.messages(1002) if "Mailing finished" in x.get("text", "")]) == 2,
        30,
        "the second report message",
    )
    documents = [x for x in sandbox.messages(1002) if "document" in x]
    assert len(documents) == 1 and documents[0]["document"]["file_name"].endswith(".csv")

    result = _post(client, admin, f"/{m}/retry", statuses=["unknown", "failed"])
    assert result["requeued"] == 0 and result["mailing"]["status"] == "finished"
