"""End to end: a mailing is sent by real rq workers to the sandbox, reported, and controllable."""

from __future__ import annotations


def _finished(ledger, mailing_id):
    return ledger.mailing(mailing_id)["status"] == "finished"


def test_send_now_delivers_to_every_subscriber_once_and_reports(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(40)
    mailing = new_mailing(buttons=[{"text": "Open", "url": "https://example.com"}])
    processes.worker()
    response = client.post(f"/api/v1/mailings/{mailing['id']}/send-now", headers=admin)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "sending"

    wait_for(lambda: _finished(ledger, mailing["id"]), 60, "the mailing to finish")
    assert ledger.counts(mailing["id"]) == {"sent": 41}  # the admin is an active user too
    for chat_id in ids[:5] + ids[-5:]:
        (message,) = sandbox.messages(chat_id)
        assert message["copies"] == 1 and message["text"] == "Hello subscribers"
    # The admin (author and staff) gets the progress message and exactly one report.
    wait_for(lambda: ledger.mailing(mailing["id"])["report_sent_at"], 30, "the report")
    admin_id = 1001
    texts = wait_for(
        lambda: [m.get("text", "") for m in sandbox.messages(admin_id) if "finished" in m.get("text", "")],
        30,
        "the report message",
    )
    assert len(texts) == 1 and "Sent: 41" in texts[0]
    stats = client.get(f"/api/v1/mailings/{mailing['id']}/stats", headers=admin).get_json()
    assert (
        stats["progress"]["done"] == 41
        and stats["progress"]["pending"] == 0
        and stats["progress"]["eta"] == 0
    )


def test_a_two_part_delivery_reaches_each_chat_once_a_second_apart(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    """A text too long for a caption goes as the photo, then the text: one second apart in each chat."""
    ids = subscribers(30)
    sandbox.set_limits(per_chat_rate=1, per_chat_burst=1)  # a second message within the second is a 429
    long_text = "Long news. " * 120  # 1,320 characters: more than a caption holds
    mailing = new_mailing(text=long_text, media={"type": "photo", "file_id": "https://example.com/p.jpg"})
    processes.worker(rate=25)
    processes.worker(rate=25)
    response = client.post(f"/api/v1/mailings/{mailing['id']}/send-now", headers=admin)
    assert response.status_code == 200, response.get_json()
    wait_for(lambda: _finished(ledger, mailing["id"]), 120, "the mailing to finish")

    assert ledger.counts(mailing["id"]) == {"sent": 31}
    for chat_id in ids:
        photo, text = sandbox.messages(chat_id)
        assert "photo" in photo and text["text"] == long_text.strip()
        assert photo["copies"] == 1 and text["copies"] == 1
        assert text["received_at"] - photo["received_at"] >= 0.95
    stats = sandbox.stats()
    slowed = {chat: figures for chat, figures in stats["chats"].items() if figures.get("too_many_requests")}
    assert stats["too_many_requests"] == 0, slowed


def test_each_subscriber_is_greeted_by_name_and_a_name_is_never_markup(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(6)
    eve, nameless, ann = ids[0], ids[1], ids[2]
    ledger.sql("UPDATE users SET first_name = '<b>Eve</b>', username = 'eve & co' WHERE tg_id = :u", u=eve)
    ledger.sql("UPDATE users SET first_name = '', username = NULL WHERE tg_id = :u", u=nameless)
    ledger.sql("UPDATE users SET first_name = 'Ann', last_name = 'Lee' WHERE tg_id = :u", u=ann)
    mailing = new_mailing(
        text="<i>Hi</i>, {first_name|friend}! ({full_name})",
        buttons=[{"text": "Profile", "url": "https://example.com/u/{username|none}"}],
    )
    processes.worker()
    assert client.post(f"/api/v1/mailings/{mailing['id']}/send-now", headers=admin).status_code == 200
    wait_for(lambda: _finished(ledger, mailing["id"]), 60, "the mailing to finish")

    def received(chat_id):
        (message,) = sandbox.messages(chat_id)
        url = message["reply_markup"]["inline_keyboard"][0][0]["url"]
        bold = [e for e in message.get("entities", []) if e["type"] == "bold"]
        return message["text"], url, bold

    text, url, bold = received(eve)
    # Her name arrives as the text she chose, not as bold; her username is one piece of the link.
    assert text == "Hi, <b>Eve</b>! (<b>Eve</b>)" and bold == []
    assert url == "https://example.com/u/eve%20%26%20co"
    assert received(nameless)[:2] == ("Hi, friend! ()", "https://example.com/u/none")
    assert received(ann)[0] == "Hi, Ann! (Ann Lee)"
    assert ledger.counts(mailing["id"]) == {"sent": 7}
