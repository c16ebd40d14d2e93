"""The engine sends each recipient their own click links with PUBLIC_URL set, the links as written without."""

from __future__ import annotations

from tests.conftest import JWT_SECRET
from webapi.click_links import Click, ClickKeys

PUBLIC_URL = "https://go.example.com"
BUTTONS = [
    {"text": "Shop", "url": "https://shop.example.com/sale"},
    {"text": "Channel", "url": "tg://resolve?domain=example"},
]


def _send(client, admin, new_mailing, ledger, wait_for) -> int:
    mailing = new_mailing(text="Sale!", buttons=BUTTONS)
    assert client.post(f"/api/v1/mailings/{mailing['id']}/send-now", headers=admin).status_code == 200
    wait_for(lambda: ledger.mailing(mailing["id"])["status"] == "finished", 60, "the mailing to finish")
    return mailing["id"]


def _links(sandbox, chat_id: int) -> list[str]:
    (message,) = sandbox.messages(chat_id)
    return [row[0]["url"] for row in message["reply_markup"]["inline_keyboard"]]


def test_with_public_url_each_recipient_gets_their_own_click_link(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(5)
    processes.worker(PUBLIC_URL=PUBLIC_URL + "/")
    mailing_id = _send(client, admin, new_mailing, ledger, wait_for)
    assert ledger.counts(mailing_id) == {"sent": 6}

    keys = ClickKeys.from_secret(JWT_SECRET)
    shops = []
    for chat_id in ids:
        shop, channel = _links(sandbox, chat_id)
        assert shop.startswith(PUBLIC_URL + "/r/") and str(chat_id) not in shop
        assert keys.read(shop.removeprefix(PUBLIC_URL + "/r/")) == Click(mailing_id, 0, chat_id)
        assert channel == BUTTONS[1]["url"]  # tg:// opens in Telegram: as written
        shops.append(shop)
    assert len(set(shops)) == len(ids)

    # Two recipients follow their links, one of them twice.
    for shop in (shops[0], shops[0], shops[1]):
        response = client.get(shop.removeprefix(PUBLIC_URL))
        assert response.status_code == 302 and response.headers["Location"] == BUTTONS[0]["url"]
    clicks = client.get(f"/api/v1/mailings/{mailing_id}/stats", headers=admin).get_json()["clicks"]
    assert clicks["buttons"] == [
        {"position": 0, "text": "Shop", "url": BUTTONS[0]["url"], "clicks": 2, "rate": round(2 / 6, 4)}
    ]


def test_without_public_url_links_are_sent_as_written(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(3)
    processes.worker()
    mailing_id = _send(client, admin, new_mailing, ledger, wait_for)
    assert ledger.counts(mailing_id) == {"sent": 4}
    for chat_id in ids:
        assert _links(sandbox, chat_id) == [button["url"] for button in BUTTONS]
    assert "clicks" not in client.get(f"/api/v1/mailings/{mailing_id}/stats", headers=admin).get_json()


def test_the_report_shows_each_buttons_clicks_in_the_readers_language(
    telegram_app, admin, staff_chats, sandbox, new_mailing, ledger
):
    from workers import report

    mailing_id = new_mailing(
        text="Sale!", buttons=BUTTONS + [{"text": "<Blog>", "url": "https://b.example"}]
    )["id"]
    ledger.outcomes(mailing_id, sent=4)  # users 20,000,000 to 20,000,003
    ledger.sql("UPDATE users SET language_code = 'en' WHERE tg_id = 1001")
    ledger.sql(
        "INSERT INTO button_clicks (mailing_id, position, user_id) "
        "SELECT :m, 0, g FROM generate_series(20000000, 20000002) g",
        m=mailing_id,
    )
    ledger.sql(
        "UPDATE mailings SET status = 'finished', started_at = now(), finished_at = now() WHERE id = :m",
        m=mailing_id,
    )
    with telegram_app.app_context():
        assert report.send_report(mailing_id) == 2

    def report_text(chat_id: int) -> str:
        (text,) = [m["text"] for m in sandbox.messages(chat_id) if "Engine test" in m.get("text", "")]
        return text

    english, russian = report_text(1001), report_text(staff_chats)
    assert "Button clicks" in english
    assert "• Shop — 3 (75.0%)\n• <Blog> — 0 (0.0%)" in english
    assert "Нажатия на кнопки" in russian
    assert "• Shop — 3 (75,0\u00a0%)\n• <Blog> — 0 (0,0\u00a0%)" in russian
    assert "Channel" not in english  # tg:// opens in Telegram: not counted, not listed


def test_a_report_without_clicks_says_nothing_of_them(telegram_app, admin, sandbox, new_mailing, ledger):
    from workers import report

    mailing_id = new_mailing(text="Sale!", buttons=BUTTONS)["id"]
    ledger.outcomes(mailing_id, sent=2)
    ledger.sql(
        "UPDATE mailings SET status = 'finished', started_at = now(), finished_at = now() WHERE id = :m",
        m=mailing_id,
    )
    with telegram_app.app_context():
        assert report.send_report(mailing_id) == 1
    (text,) = [m["text"] for m in sandbox.messages(1001) if "Engine test" in m.get("text", "")]
    assert "Доставлено: 2" in text and "Нажатия" not in text
