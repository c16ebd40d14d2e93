"""The mailing constructor end to end: questions, buttons, media, preview, test send, save, restart."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.telebot_app.conftest import button_texts

MOSCOW = ZoneInfo("Europe/Moscow")


def send_time(days: int = 2, clock: str = "12:00") -> tuple[str, datetime]:
    """A typed time a few days ahead in Moscow, and the instant it means."""
    day = (datetime.now(UTC) + timedelta(days=days)).astimezone(MOSCOW).date()
    hour, minute = (int(part) for part in clock.split(":"))
    return f"{day:%d.%m.%Y} {clock}", datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW)


def start_draft(admin, name: str = "Autumn sale", text: str = "<b>Sale</b> starts today") -> dict:
    """Answer the three questions; return the menu message."""
    assert "internal name" in admin.say("/newmailing")[-1]["text"]
    assert "text of the mailing" in admin.say(name)[-1]["text"]
    assert "When to send it?" in admin.say(text)[-1]["text"]
    typed, _ = send_time()
    menu = admin.say(typed)[-1]
    assert "New mailing" in menu["text"] and name in menu["text"]
    return menu


def add_button(admin, menu: dict, label: str, url: str) -> dict:
    """Menu → add a button; return the new menu."""
    assert "label of button" in admin.press(menu, "➕ Button")[-1]["text"]
    assert f"link for “{label}”" in admin.say(label)[-1]["text"]
    replies = admin.say(url)
    assert f"Button added: {label} → {url}" in replies[0]["text"]
    return replies[-1]


def row_button(message: dict, label: str, key: str) -> str:
    """callback_data of `key` (⬆ ⬇ ✖) in the manager row of button `label`."""
    for row in message["reply_markup"]["inline_keyboard"]:
        if label in row[0]["text"]:
            return next(b["callback_data"] for b in row if b["text"] == key)
    raise AssertionError(f"no row for {label}")


def url_buttons(message: dict) -> list[tuple[str, str]]:
    """(text, url) of a message's URL buttons, in order."""
    return [(b["text"], b["url"]) for row in message["reply_markup"]["inline_keyboard"] for b in row]


def test_full_constructor_with_buttons_reordered_media_replaced_preview_test_and_save(
    admin_player, api_as, redis
):
    admin = admin_player
    menu = start_draft(admin)
    menu = add_button(admin, menu, "Shop", "https://example.org/shop")
    menu = add_button(admin, menu, "Blog", "https://example.org/blog")
    menu = add_button(admin, menu, "Help", "tg://resolve?domain=help")

    # Manage: move Help from last to first, then Blog down is already last (at the edge).
    admin.press(menu, "🔀 Buttons")
    manager = admin.message(menu["message_id"])
    assert "Buttons (3)" in manager["text"]
    admin.press_data(manager["message_id"], row_button(manager, "Help", "⬆"))
    manager = admin.message(menu["message_id"])
    admin.press_data(manager["message_id"], row_button(manager, "Help", "⬆"))
    manager = admin.message(menu["message_id"])
    assert [t for t in button_texts(manager) if t[0].isdigit()] == ["1. Help", "2. Shop", "3. Blog"]
    admin.press_data(manager["message_id"], row_button(manager, "Blog", "⬇"))
    assert admin.answer["text"] == "It is already at the edge."
    admin.press(manager, "Done")
    menu = admin.message(menu["message_id"])
    assert "1. Help → tg://resolve?domain=help\n2. Shop" in menu["text"]

    # Media: a photo, then replaced by a video.
    assert "Send one photo" in admin.press(menu, "Add media")[-1]["text"]
    replies = admin.send_media("photo")
    assert "Attached: photo" in replies[0]["text"]
    menu = replies[-1]
    admin.press(menu, "Replace media")
    replies = admin.send_media("video")
    assert "Attachment replaced: video." in replies[0]["text"]
    menu = replies[-1]
    assert "Media: video" in menu["text"]

    # Preview: exactly what subscribers get (sent by the API, so it is the test send too), then the
    # menu again below it: the one above loses its buttons.
    replies = admin.press(menu, "Preview")
    assert "Preview" in replies[0]["text"]
    shown = replies[1]
    assert "video" in shown and shown["caption"] == "Sale starts today"
    assert shown["caption_entities"][0]["type"] == "bold"
    assert url_buttons(shown) == [
        ("Help", "tg://resolve?domain=help"),
        ("Shop", "https://example.org/shop"),
        ("Blog", "https://example.org/blog"),
    ]
    menu = replies[-1]
    assert "New mailing" in menu["text"]

    # Save: confirms the time, then schedules.
    typed, moment = send_time()
    admin.press(menu, "Save")
    question = admin.message(menu["message_id"])
    assert f"Save Autumn sale? Send time: {typed} MSK (Europe/Moscow)." == question["text"]
    admin.press(question, "Yes, save")
    saved = admin.message(menu["message_id"])
    assert saved["text"].startswith("✅ Saved: Autumn sale (id ")
    assert f"will be sent at {typed} MSK (Europe/Moscow)" in saved["text"]

    page = api_as(admin.id).get("/mailings").get_json()
    assert page["total"] == 1
    mailing = page["items"][0]
    assert mailing["name"] == "Autumn sale"
    assert mailing["text"] == "<b>Sale</b> starts today"
    assert [b["text"] for b in mailing["buttons"]] == ["Help", "Shop", "Blog"]
    assert mailing["media"]["type"] == "video"
    assert mailing["media"]["file_id"] == shown["video"]["file_id"]
    assert datetime.fromisoformat(mailing["send_at"]) == moment
    assert redis.get(f"rassylka:bot:draft:{admin.id}") is None
    assert admin.say("/cancel")[-1]["text"] == "There is nothing to cancel."


def test_restart_in_the_middle_of_the_constructor_keeps_the_draft(admin_player, driver, api_as):
    admin = admin_player
    menu = start_draft(admin, name="Restart-proof")
    menu = add_button(admin, menu, "One", "https://example.org/1")
    assert "label of button 2" in admin.press(menu, "➕ Button")[-1]["text"]

    driver.restart()  # a new bot process: new TeleBot, new API client, same Redis

    assert "link for “Two”" in admin.say("Two")[-1]["text"]
    menu = admin.say("https://example.org/2")[-1]
    assert "1. One → https://example.org/1\n2. Two → https://example.org/2" in menu["text"]

    driver.restart()
    admin.press(menu, "Save")  # a menu sent before the restart still works
    admin.press(admin.message(menu["message_id"]), "Yes, save")
    items = api_as(admin.id).get("/mailings").get_json()["items"]
    assert [b["text"] for b in items[0]["buttons"]] == ["One", "Two"]
    assert items[0]["name"] == "Restart-proof"


def test_cancel_keeps_the_draft_and_newmailing_offers_it_back(admin_player):
    admin = admin_player
    first_menu = start_draft(admin, name="Kept")
    assert "Your draft is kept" in admin.say("/cancel")[-1]["text"]
    offer = admin.say("/newmailing")[-1]
    assert "unfinished draft Kept" in offer["text"]
    menu = admin.press(offer, "Continue it")[-1]
    assert "Name: Kept" in menu["text"]

    # Exit asks first; "Back" keeps the draft, "Yes, discard" drops it.
    admin.press(menu, "Exit")
    question = admin.message(menu["message_id"])
    assert "Discard this draft?" in question["text"]
    admin.press(question, "Back")
    menu = admin.message(menu["message_id"])
    assert "Name: Kept" in menu["text"]
    admin.press(menu, "Exit")
    admin.press(admin.message(menu["message_id"]), "Yes, discard")
    assert admin.message(menu["message_id"])["text"] == "The draft is discarded."

    # The first menu lost its buttons when the draft's menu was shown again.
    assert button_texts(admin.message(first_menu["message_id"])) == []
    assert "internal name" in admin.say("/newmailing")[-1]["text"]
