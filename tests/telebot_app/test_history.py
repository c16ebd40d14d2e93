"""The browser's Sent view: sent cards with their figures, Retry unknown/failed, the CSV of the unreached,
and Duplicate into the constructor."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import text

from telebot_app import texts
from telebot_app.handlers import history
from tests.support import LEDGER_ERRORS, sent_mailing
from tests.telebot_app.conftest import button_texts
from tests.telebot_app.test_constructor import send_time
from webapi.extensions import db

BUTTONS = [
    {"text": "Shop", "url": "https://example.com/shop"},
    {"text": "Blog", "url": "https://example.com/blog"},
]
PHOTO = {"type": "photo", "file_id": "https://example.com/cat.png"}
SEGMENT = {"languages": ["en"]}
RU_ADMIN_ID = 50_002


def _mailing(api, name: str, hours: float, **fields) -> dict:
    body = {
        "name": name,
        "text": f"<b>{name}</b> news",
        "send_at": (datetime.now(UTC) + timedelta(hours=hours)).isoformat(),
        **fields,
    }
    response = api.post("/mailings", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _history(app, api) -> tuple[dict, dict, dict]:
    """A finished mailing (buttons, a photo, a segment), a later cancelled one, and a scheduled one."""
    finished = _mailing(api, "Autumn", 1, buttons=BUTTONS, media=PHOTO, segment=SEGMENT)
    cancelled = _mailing(api, "Winter", 2)
    scheduled = _mailing(api, "Spring", 3)
    # 125 attempted in 50 s: 2.5 a second.
    sent_mailing(app, finished["id"], seconds=50, sent=120, blocked=2, failed=1, unknown=2)
    sent_mailing(
        app, cancelled["id"], status="cancelled", seconds=50, start_id=31_000_000, sent=5, cancelled=7
    )
    return finished, cancelled, scheduled


def open_sent(admin, label: str = "Sent mailings") -> list[dict]:
    menu = admin.say("/adminmenu")[-1]
    return admin.press(menu, label)


def test_the_sent_view_shows_finished_and_cancelled_latest_first_with_their_figures(
    app, admin_player, api_as
):
    finished, cancelled, _ = _history(app, api_as(admin_player.id))
    admin = admin_player

    preview, card = open_sent(admin)
    assert preview["text"] == "Winter news"
    assert card["text"].startswith(f"#1 of 2\nWinter (id {cancelled['id']})\nSend time: ")
    assert card["text"].endswith(
        "Status: cancelled\nSent: 5 · blocked: 0 · failed: 0 · unknown: 0\n"
        "Cancelled before sending: 7\nDuration: 0:50 · average 0.1 msg/s"
    )
    # A cancelled mailing cannot be retried; its unreached (the cancelled) are in the CSV.
    assert button_texts(card) == [
        "◀",
        "Go to #…",
        "▶",
        "📎 CSV of the unreached",
        "📄 Duplicate",
        "🔄 Refresh",
        "🗓 Scheduled mailings",
    ]

    preview, card = admin.press(card, "▶")
    assert "photo" in preview and preview["caption"] == "Autumn news"
    assert card["text"].startswith(f"#2 of 2\nAutumn (id {finished['id']})")
    assert card["text"].endswith(
        "Status: finished\nSent: 120 · blocked: 2 · failed: 1 · unknown: 2\n"
        "Duration: 0:50 · average 2.5 msg/s"
    )
    assert button_texts(card)[3:6] == [
        "🔁 Retry unknown (2)",
        "🔁 Retry failed (1)",
        "📎 CSV of the unreached",
    ]
    assert admin.press(card, "▶") == [] and admin.answer["text"] == "This is the last one (#2)."

    # Go to #… asks within the Sent view; the other view is a press away.
    assert admin.press(card, "Go to #")[-1]["text"] == "Which one? Send a number from 1 to 2. /cancel stops."
    assert admin.say("3")[-1]["text"] == "There is no mailing with that number: send a number from 1 to 2."
    _, card = admin.say("1")[-2:]
    assert card["text"].startswith("#1 of 2\nWinter")
    _, card = admin.press(card, "Scheduled mailings")
    assert card["text"].startswith("#1 of 1\nSpring")
    assert "📜 Sent mailings" in button_texts(card) and "📄 Duplicate" in button_texts(card)


def test_russian_figures_use_a_decimal_comma(app, make_user, player, api_as):
    make_user(RU_ADMIN_ID, role="admin", first_name="Шеф", language_code="ru")
    admin = player(RU_ADMIN_ID, first_name="Шеф", language_code="ru")
    finished = _mailing(api_as(admin.id), "Осень", 1)
    sent_mailing(app, finished["id"], seconds=50, sent=120, blocked=2, failed=1, unknown=2)

    _, card = open_sent(admin, "Отправленные рассылки")
    assert card["text"].endswith(
        "Статус: завершена\nДоставлено: 120 · заблокировали бота: 2 · ошибки: 1 · неизвестно: 2\n"
        "Длительность: 0:50 · в среднем 2,5 сообщ./с"
    )
    assert "🔁 Повторить неизвестные (2)" in button_texts(card)


def test_an_empty_sent_view_says_so(admin_player):
    replies = open_sent(admin_player)
    assert replies[-1]["text"] == "No mailings have been sent yet."
    assert button_texts(replies[-1]) == ["🗓 Scheduled mailings"]


def _counts(api, mailing_id: int) -> dict:
    return api.get(f"/mailings/{mailing_id}/stats").get_json()["counts"]


def test_retry_unknown_asks_first_then_sends_them_again(app, admin_player, api_as):
    api = api_as(admin_player.id)
    finished, cancelled, _ = _history(app, api)
    admin = admin_player
    _, card = open_sent(admin)
    _, card = admin.press(card, "▶")

    admin.press(card, "Retry unknown")
    question = admin.message(card["message_id"])
    assert question["text"] == (
        f"Send Autumn (id {finished['id']}) again to the 2 recipients whose delivery is unknown? "
        "Telegram may have delivered it to some of them: they would get it twice."
    )
    _, card = admin.press(question, "No")[-2:]  # back to the card, nothing sent
    assert card["text"].startswith("#2 of 2\nAutumn") and _counts(api, finished["id"])["unknown"] == 2

    admin.press(card, "Retry unknown")
    replies = admin.press(admin.message(card["message_id"]), "Yes, send again")
    assert admin.answer["text"] == "Sending again"
    assert replies[0]["text"] == (
        "🔁 Autumn is being sent again to 2 recipients. While it sends it is under “🗓 Scheduled mailings”."
    )
    counts = _counts(api, finished["id"])
    assert (counts["unknown"], counts["pending"], counts["failed"]) == (0, 2, 1)
    assert api.get(f"/mailings/{finished['id']}").get_json()["status"] == "sending"
    # The Sent view now holds only the cancelled one.
    assert replies[-1]["text"].startswith(f"#1 of 1\nWinter (id {cancelled['id']})")


def test_retry_failed_sends_the_failed_again(app, admin_player, api_as):
    api = api_as(admin_player.id)
    finished, _, _ = _history(app, api)
    admin = admin_player
    _, card = open_sent(admin)
    _, card = admin.press(card, "▶")
    admin.press(card, "Retry failed")
    question = admin.message(card["message_id"])
    assert (
        question["text"] == f"Send Autumn (id {finished['id']}) again to the 1 recipients it failed to reach?"
    )
    admin.press(question, "Yes, send again")
    counts = _counts(api, finished["id"])
    assert (counts["failed"], counts["pending"], counts["unknown"]) == (0, 1, 2)


def test_the_csv_of_the_unreached_arrives_as_a_document(app, admin_player, api_as, sandbox):
    finished, _, _ = _history(app, api_as(admin_player.id))
    admin = admin_player
    _, card = open_sent(admin)
    _, card = admin.press(card, "▶")

    (document,) = admin.press(card, "CSV of the unreached")
    assert document["caption"] == f"Not reached by Autumn (id {finished['id']}), with the reasons"
    assert document["document"]["file_name"] == f"mailing-{finished['id']}-not-reached.csv"
    content = requests.get(f"{sandbox.url}/sandbox/files/{document['document']['file_id']}", timeout=10)
    header, *rows = list(csv.reader(io.StringIO(content.content.decode())))
    assert header == ["user_id", "chat_id", "status", "reason"]
    assert [row[2] for row in rows] == ["blocked", "blocked", "failed", "unknown", "unknown"]
    assert rows[2][3] == LEDGER_ERRORS["failed"]
    assert admin.message(card["message_id"]) is not None  # the card stays


def _prune(app, mailing_id: int) -> None:
    with app.app_context():
        db.session.execute(
            text("UPDATE mailings SET deliveries_pruned_at = '2031-03-01T09:00:00Z' WHERE id = :m"),
            {"m": mailing_id},
        )
        db.session.execute(text("DELETE FROM deliveries WHERE mailing_id = :m"), {"m": mailing_id})
        db.session.commit()
        db.session.remove()


def test_a_pruned_mailing_keeps_its_figures_and_explains_why_no_csv_or_retry(app, admin_player, api_as):
    api = api_as(admin_player.id)
    finished, _, _ = _history(app, api)
    _prune(app, finished["id"])
    admin = admin_player
    _, card = open_sent(admin)
    _, card = admin.press(card, "▶")
    assert "Sent: 120 · blocked: 2 · failed: 1 · unknown: 2\n" in card["text"]
    assert card["text"].endswith(
        "The list of recipients was removed on 01.03.2031 12:00 MSK (Europe/Moscow); "
        "only the counts are kept."
    )

    assert admin.press(card, "CSV of the unreached") == []
    assert admin.answer["show_alert"] and admin.answer["text"] == (
        "This mailing ended long ago: its list of recipients was removed and only its counts are kept, "
        "so there is no CSV."
    )
    admin.press(card, "Retry unknown")
    _, card = admin.press(admin.message(card["message_id"]), "Yes, send again")[-2:]
    assert (
        admin.answer["text"].startswith("This mailing ended long ago")
        and "Duplicate it instead" in (admin.answer["text"])
    )
    assert card["text"].startswith("#2 of 2\nAutumn")
    assert api.get(f"/mailings/{finished['id']}").get_json()["status"] == "finished"


def test_duplicate_opens_the_copy_in_the_constructor_and_saving_schedules_it(app, admin_player, api_as):
    api = api_as(admin_player.id)
    finished, _, _ = _history(app, api)
    admin = admin_player
    _, card = open_sent(admin)
    _, card = admin.press(card, "▶")

    opened, question = admin.press(card, "Duplicate")
    assert admin.answer["text"] == "A copy is open"
    assert opened["text"] == (
        f"📄 A copy of Autumn (id {finished['id']}): the same text, buttons, media and audience. "
        "Give it a send time; then change anything and save it."
    )
    assert question["text"].startswith("When to send it?")
    typed, moment = send_time(days=3)
    menu = admin.say(typed)[-1]
    assert menu["text"].startswith(f"New mailing (a copy of {finished['id']})\nName: Autumn\n")
    assert f"Send time: {typed} MSK (Europe/Moscow)" in menu["text"]
    assert "Audience: language en\n" in menu["text"]
    assert "Media: photo" in menu["text"]
    assert "1. Shop → https://example.com/shop\n2. Blog → https://example.com/blog" in menu["text"]

    admin.press(menu, "Save")
    admin.press(admin.message(menu["message_id"]), "Yes, save")
    saved = admin.message(menu["message_id"])
    assert saved["text"].startswith("✅ Saved: Autumn (id ")
    copies = api.get("/mailings?status=scheduled").get_json()["items"]
    (copy,) = [m for m in copies if m["name"] == "Autumn"]
    assert (copy["text"], copy["buttons"], copy["media"], copy["segment"]) == (
        finished["text"],
        BUTTONS,
        PHOTO,
        finished["segment"],
    )
    assert datetime.fromisoformat(copy["send_at"]) == moment
    assert api.get(f"/mailings/{finished['id']}").get_json()["status"] == "finished"


def test_duplicate_asks_before_dropping_an_unfinished_draft(app, admin_player, api_as, redis):
    finished, _, _ = _history(app, api_as(admin_player.id))
    admin = admin_player
    admin.say("/newmailing")
    admin.say("Half done")
    _, card = open_sent(admin)
    _, card = admin.press(card, "▶")

    question = admin.press(card, "Duplicate")[-1]
    assert (
        question["text"]
        == "You have an unfinished draft Half done. Discard it and make a copy of this mailing?"
    )
    admin.press(question, "Yes, discard")
    assert admin.messages()[-1]["text"].startswith("When to send it?")
    draft = redis.get(f"rassylka:bot:draft:{admin.id}")
    assert b'"name": "Autumn"' in draft and f'"copy_of": {finished["id"]}'.encode() in draft


class _Card:
    """What history.figures reads of a context: language, zone and texts."""

    def __init__(self, lang: str) -> None:
        self.lang, self.zone = lang, ZoneInfo("Europe/Moscow")

    def t(self, key: str, **values) -> str:
        return texts.text(self.lang, key, **values)


def test_a_sent_card_shows_clicks_per_button_when_the_stats_count_them():
    stats = {
        "counts": {"sent": 200, "blocked": 0, "failed": 0, "unknown": 0, "cancelled": 0},
        "progress": {"elapsed": 80.0, "rate": 2.5},
        "clicks": {
            "buttons": [
                {
                    "position": 0,
                    "text": "Shop",
                    "url": "https://example.com/shop",
                    "clicks": 25,
                    "rate": 0.125,
                },
                {
                    "position": 2,
                    "text": "Blog",
                    "url": "https://example.com/blog",
                    "clicks": 3,
                    "rate": 0.015,
                },
            ],
            "total": 28,
        },
    }
    mailing = {"started_at": "2031-03-01T09:00:00Z", "stats": stats}
    assert history.figures(_Card("en"), mailing)[2:] == [
        "Button clicks: 28",
        "1. Shop — 25 (12.5 %)",
        "3. Blog — 3 (1.5 %)",
    ]
    ru = _Card("ru")
    assert history.figures(ru, mailing)[3] == "1. Shop — 25 (12,5 %)"
    del stats["clicks"]  # not counted: no clicks lines at all
    assert history.figures(ru, mailing) == [
        "Доставлено: 200 · заблокировали бота: 0 · ошибки: 0 · неизвестно: 0",
        "Длительность: 1:20 · в среднем 2,5 сообщ./с",
    ]
