"""The constructor's Canary step, the canary and the pause reason on the browser's card, and the
Resume / Cancel buttons of the message a mailing that paused itself sends."""

import pytest
from sqlalchemy import text

from telebot_app.canary import CanaryUnreadable, parse_canary
from tests.telebot_app.conftest import ADMIN_ID
from tests.telebot_app.test_constructor import send_time, start_draft
from workers.pause_notice import tell

BROKEN = "Bad Request: wrong file identifier/HTTP URL specified"


def test_typed_canaries_read_or_say_why():
    assert parse_canary("5%") == {"percent": 5.0, "wait_minutes": 10.0, "max_failure_share": 0.2}
    assert parse_canary(" 200  30 ") == {"count": 200, "wait_minutes": 30.0, "max_failure_share": 0.2}
    assert parse_canary("2,5% 0,5 15%") == {"percent": 2.5, "wait_minutes": 0.5, "max_failure_share": 0.15}
    for typed, key in (
        ("", "canary_blank"),
        ("5% 30 20% now", "canary_too_many"),
        ("0%", "canary_bad_percent"),
        ("60%", "canary_bad_percent"),
        ("five", "canary_bad_count"),
        ("0", "canary_bad_count"),
        ("-3", "canary_bad_count"),
        ("5% soon", "canary_bad_wait"),
        ("5% 1441", "canary_bad_wait"),
        ("5% 30 0.2", "canary_bad_share"),
        ("5% 30 120%", "canary_bad_share"),
    ):
        with pytest.raises(CanaryUnreadable) as caught:
            parse_canary(typed)
        assert caught.value.key == key, typed


def test_a_canary_typed_saved_shown_on_the_card_and_turned_off(admin_player, api_as):
    admin = admin_player
    menu = start_draft(admin)
    assert "Canary" not in menu["text"]
    admin.press(menu, "🐤 Canary")  # the menu becomes the question
    ask = admin.message(menu["message_id"])
    assert ask["text"].startswith("Canary: none\n\nSend to a random sample first")

    replies = admin.say("0% 30")
    assert (
        replies[0]["text"]
        == "This will not work:\n• “0%” is not a sample: a share above 0 and at most 50%, such as 5%."
    )
    assert "Send the sample, the wait in minutes" in replies[-1]["text"]
    replies = admin.say("5% 30 20%")
    assert replies[0]["text"] == (
        "Canary: 5% of the audience first, the rest 30 min later unless over 20% of them were not reached"
    )
    menu = replies[-1]
    assert "\nAudience: everyone\nCanary: 5% of the audience first, the rest 30 min later" in menu["text"]

    admin.press(menu, "Save")
    admin.press(admin.message(menu["message_id"]), "Yes, save")
    mailing = api_as(ADMIN_ID).get("/mailings").get_json()["items"][0]
    assert mailing["canary"] == {"percent": 5.0, "wait_minutes": 30.0, "max_failure_share": 0.2}
    control = admin.press(admin.say("/adminmenu")[-1], "Scheduled mailings")[-1]
    assert "\nCanary: 5% of the audience first" in control["text"]

    # Edited: the canary is kept; No canary takes it away.
    menu = admin.press(control, "Edit")[-1]
    assert "Canary: 5% of the audience" in menu["text"]
    admin.press(menu, "🐤 Canary")
    admin.press(admin.message(menu["message_id"]), "No canary")
    assert admin.answer["text"] == "The mailing goes to everyone at once"
    menu = admin.message(menu["message_id"])
    assert "Canary" not in menu["text"]
    admin.press(menu, "Save")
    admin.press(admin.message(menu["message_id"]), "Yes, save")
    assert api_as(ADMIN_ID).get(f"/mailings/{mailing['id']}").get_json()["canary"] is None


def test_the_canary_in_russian(player, make_user, api_as):
    make_user(ADMIN_ID, role="admin", first_name="Boss", language_code="ru")
    admin = player(ADMIN_ID, first_name="Boss", language_code="ru")
    admin.say("/newmailing")
    admin.say("Осенняя")
    admin.say("Текст")
    menu = admin.say(send_time()[0])[-1]
    admin.press(menu, "Проверка на выборке")
    assert admin.message(menu["message_id"])["text"].startswith(
        "Проверка на выборке: нет\n\nСначала рассылка"
    )
    replies = admin.say("пять")
    assert replies[0]["text"] == (
        "Так не получится:\n• «пять» — не размер выборки: число людей от 1 до 10 000 000 или доля, "
        "например 5%."
    )
    replies = admin.say("2,5% 90 100%")
    assert replies[0]["text"] == (
        "Проверка на выборке: сначала 2,5% аудитории, остальным — через 90 мин, если не доставлено "
        "не больше 100%"
    )
    assert "\nПроверка на выборке: сначала 2,5% аудитории" in replies[-1]["text"]


def _paused(ledger_sql, mailing_id: int, reason: str) -> None:
    ledger_sql(
        "UPDATE mailings SET status = 'paused', started_at = now(), pause_reason = CAST(:r AS jsonb) "
        "WHERE id = :m",
        m=mailing_id,
        r=reason,
    )


@pytest.fixture
def sql(telegram_app):
    from webapi.extensions import db

    def run(statement: str, **params) -> None:
        with telegram_app.app_context():
            db.session.execute(text(statement), params)
            db.session.commit()

    return run


def test_the_pause_message_buttons_resume_and_cancel_through_the_api(admin_player, api_as, telegram_app, sql):
    admin = admin_player
    menu = start_draft(admin, name="Broken file")
    admin.press(menu, "Save")
    admin.press(admin.message(menu["message_id"]), "Yes, save")
    m = api_as(ADMIN_ID).get("/mailings").get_json()["items"][0]["id"]

    canary_reason = (
        '{"code": "canary", "sends": 20, "failed": 19, "blocked": 1, "unknown": 0, "share": 1.0,'
        f' "max_failure_share": 0.2, "errors": [{{"error": "{BROKEN}", "count": 19}}]}}'
    )
    sql(
        "UPDATE mailings SET canary = CAST(:c AS jsonb) WHERE id = :m",
        m=m,
        c='{"count": 20, "wait_minutes": 1, "max_failure_share": 0.2}',
    )
    _paused(sql, m, canary_reason)
    with telegram_app.app_context():
        assert tell(m) == 1  # the admin is the author and the only staff member
    notice = next(x for x in admin.messages() if x["text"].startswith("🐤 Canary failed: Broken file"))
    assert "20 of its sample's 20 sends did not arrive (100%, above the 20% allowed)" in notice["text"]
    assert f"• {BROKEN} — 19" in notice["text"]

    # The card says why it paused.
    control = admin.press(admin.say("/adminmenu")[-1], "Scheduled mailings")[-1]
    assert (
        "\nPaused: the canary failed, 20 of its 20 sends were not reached (100%); most common: "
        f"{BROKEN} (19)" in control["text"]
    )

    admin.press(notice, "Resume")
    assert admin.answer["text"] == "Resumed"
    body = api_as(ADMIN_ID).get(f"/mailings/{m}").get_json()
    assert body["status"] == "sending" and body["pause_reason"] is None and body["canary_passed_at"]

    auto_reason = (
        '{"code": "auto_pause", "sends": 50, "failed": 50, "share": 1.0, "max_failure_share": 0.5,'
        f' "errors": [{{"error": "{BROKEN}", "count": 50}}]}}'
    )
    _paused(sql, m, auto_reason)
    with telegram_app.app_context():
        assert tell(m) == 1
    notice = next(x for x in admin.messages() if x["text"].startswith("⚠️ Mailing paused itself: Broken file"))
    assert "50 of its last 50 sends failed (100%, above the 50% allowed)" in notice["text"]
    question = admin.press(notice, "Cancel")[-1]
    assert "Cancel sending mailing" in question["text"]
    admin.press(question, "Yes, cancel sending")
    body = api_as(ADMIN_ID).get(f"/mailings/{m}").get_json()
    assert body["status"] == "cancelled" and body["pause_reason"] is None
