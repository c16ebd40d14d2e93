"""Recurring mailings in the bot: the Repeat step, saving a series, pausing and ending it from the list."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.telebot_app.conftest import ADMIN_ID, button_texts

MOSCOW = ZoneInfo("Europe/Moscow")


def clock_in(hours: int) -> str:
    """HH:MM in Moscow `hours` from now: typed alone, it means the next such time (within a day)."""
    return f"{datetime.now(UTC).astimezone(MOSCOW) + timedelta(hours=hours):%H:%M}"


def new_draft(admin, clock: str) -> dict:
    """Answer the constructor's three questions; return the menu message."""
    admin.say("/newmailing")
    admin.say("Morning digest")
    admin.say("<b>Good morning</b>")
    menu = admin.say(clock)[-1]
    assert "New mailing" in menu["text"] and "🔁 Repeat" in button_texts(menu)
    return menu


def save(admin, menu: dict) -> dict:
    """Save → Yes, save; return the message that says what was saved."""
    admin.press(menu, "💾 Save")
    admin.press(admin.message(menu["message_id"]), "Yes, save")
    return admin.message(menu["message_id"])


def test_a_daily_series_from_the_constructor_then_paused_and_resumed_from_the_list(admin_player, api_as):
    admin = admin_player
    clock = clock_in(2)
    menu = new_draft(admin, clock)

    admin.press(menu, "🔁 Repeat")
    choice = admin.message(menu["message_id"])
    assert "Now: does not repeat" in choice["text"]
    admin.press(choice, "Every day")
    end = admin.message(menu["message_id"])
    assert f"every day at {clock}" in end["text"] and "Until when?" in end["text"]
    admin.press(end, "Until I end it")
    assert admin.answer["text"] == "The repeat is set."
    menu = admin.message(menu["message_id"])
    assert f"🔁 Repeats: every day at {clock}, until ended" in menu["text"]

    saved = save(admin, menu)
    assert "The recurring mailing “Morning digest” (series #1) is saved: every day at" in saved["text"]
    listed = api_as(ADMIN_ID).get("/series").json["items"]
    assert len(listed) == 1
    series = listed[0]
    assert series["status"] == "active" and series["rule"]["kind"] == "daily"
    assert series["rule"]["time"] == clock and series["text"] == "<b>Good morning</b>"
    # Its first run, due within two hours, was made at once: a mailing of its own.
    assert series["runs_made"] == 1 and len(series["scheduled_runs"]) == 1
    run_at = datetime.fromisoformat(series["next_run_at"]).astimezone(MOSCOW)
    assert f"{run_at:%H:%M}" == clock and run_at - datetime.now(UTC) < timedelta(hours=2)
    assert f"Next run: {run_at:%d.%m.%Y %H:%M} MSK (Europe/Moscow)" in saved["text"]

    # /adminmenu → Recurring: the series with its next run; pause it.
    admin_menu = admin.say("/adminmenu")[-1]
    admin.press(admin_menu, "🔁 Recurring")
    view = admin.message(admin_menu["message_id"])
    assert "#1 Morning digest — every day at" in view["text"]
    assert f"active; next run: {run_at:%d.%m.%Y %H:%M} MSK" in view["text"]
    admin.press(view, "⏸ #1")
    assert admin.answer["text"] == "Paused: no runs until you resume it."
    view = admin.message(admin_menu["message_id"])
    assert "paused; next run: —" in view["text"] and "▶️ #1" in button_texts(view)
    paused = api_as(ADMIN_ID).get("/series/1").json
    assert paused["status"] == "paused" and paused["scheduled_runs"] == []
    assert api_as(ADMIN_ID).get("/mailings").json["total"] == 0

    admin.press(view, "▶️ #1")
    assert admin.answer["text"] == "Resumed from its next time."
    resumed = api_as(ADMIN_ID).get("/series/1").json
    assert resumed["status"] == "active" and resumed["next_run_at"] == series["next_run_at"]

    # Ending asks first; then nothing is left to send.
    view = admin.message(admin_menu["message_id"])
    admin.press(view, "⏹ #1")
    confirm = admin.message(admin_menu["message_id"])
    assert "End recurring mailing #1 for good?" in confirm["text"]
    admin.press(confirm, "Yes, end it")
    assert admin.answer["text"] == "Ended."
    assert api_as(ADMIN_ID).get("/series/1").json["status"] == "ended"
    assert "There are no recurring mailings" in admin.message(admin_menu["message_id"])["text"]


def test_the_repeat_line_shows_once_however_many_bots_the_process_made(admin_player, driver):
    # Each bot registers its handlers; the summary's repeat line once grew by one copy per bot made.
    driver.restart()
    driver.restart()
    admin = admin_player
    clock = clock_in(2)
    menu = new_draft(admin, clock)
    admin.press(menu, "🔁 Repeat")
    admin.press(admin.message(menu["message_id"]), "Every day")
    admin.press(admin.message(menu["message_id"]), "Until I end it")
    assert admin.message(menu["message_id"])["text"].count("🔁 Repeats:") == 1


def test_weekdays_with_a_count_and_a_past_last_day_refused_by_the_api_in_russian(player, make_user, api_as):
    make_user(ADMIN_ID, role="admin", first_name="Boss", language_code="ru")
    admin = player(ADMIN_ID, first_name="Boss", language_code="ru")
    day = (datetime.now(UTC) + timedelta(days=3)).astimezone(MOSCOW)
    admin.say("/newmailing")
    admin.say("Дайджест")
    admin.say("Новости недели")
    menu = admin.say(f"{day:%d.%m.%Y} 18:15")[-1]

    admin.press(menu, "🔁 Повтор")
    admin.press(admin.message(menu["message_id"]), "По дням недели")
    weekdays = admin.message(menu["message_id"])
    ticked = [label for label in button_texts(weekdays) if label.startswith("✓")]
    assert len(ticked) == 1  # the send time's own weekday
    # Untick it: with no day the choice is refused; then tick Monday and Friday.
    admin.press(weekdays, ticked[0])
    admin.press(admin.message(menu["message_id"]), "Готово")
    assert admin.answer["text"] == "Отметьте хотя бы один день."
    admin.press(admin.message(menu["message_id"]), "пн")
    admin.press(admin.message(menu["message_id"]), "пт")
    admin.press(admin.message(menu["message_id"]), "Готово")
    end = admin.message(menu["message_id"])
    assert "по дням: пн, пт, в 18:15" in end["text"]

    # A number of times: a non-number is asked again, then 12.
    asked = admin.press(end, "Сколько раз")[-1]
    assert "сколько всего раз" in asked["text"]
    assert "целое число от 1 до 10000" in admin.say("двенадцать")[0]["text"]
    menu = admin.say("12")[-1]
    assert "🔁 Повтор: по дням: пн, пт, в 18:15, число отправок: 12" in menu["text"]

    # A repeat needs a send time: changed to "now", the menu says so and Save refuses.
    assert "Когда отправить?" in admin.press(menu, "Время")[-1]["text"]
    menu = admin.say("сейчас")[-1]
    assert "🔁 Повтор: нужно время отправки (не «сейчас»)" in menu["text"]
    admin.press(menu, "Сохранить")
    admin.press(admin.message(menu["message_id"]), "Да, сохранить")
    assert admin.answer["text"].startswith("Сначала задайте время отправки")
    assert api_as(ADMIN_ID).get("/series").json["total"] == 0
    menu = admin.press(admin.message(menu["message_id"]), "Время")[-1]
    menu = admin.say(f"{day:%d.%m.%Y} 18:15")[-1]

    # Until a date instead: an impossible date is asked again; a past one the API refuses at saving.
    admin.press(menu, "🔁 Повтор")
    admin.press(admin.message(menu["message_id"]), "Каждый день")
    admin.press(admin.message(menu["message_id"]), "До даты")
    assert "Это не дата" in admin.say("31.02.2030")[0]["text"]
    menu = admin.say("01.01.2020")[-1]
    assert "каждый день в 18:15, до 01.01.2020 включительно" in menu["text"]
    admin.press(menu, "Сохранить")
    replies = admin.press(admin.message(menu["message_id"]), "Да, сохранить")
    assert "Рассылка не сохранена" in replies[0]["text"]
    assert "Последний день 2020-01-01 уже прошёл" in replies[0]["text"]
    assert "🔁 Повтор: каждый день" in replies[-1]["text"]  # the draft is kept, its menu shown again
    assert api_as(ADMIN_ID).get("/series").json["total"] == 0
