"""The admin's dialogs: leaving a question, the way out of each, albums, captions, confirmations, words."""

import json
import re
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from telebot import types

from tests.telebot_app.conftest import ADMIN_ID, button_texts
from tests.telebot_app.test_constructor import add_button, start_draft
from webapi.services import ledger as delivery_ledger

TARGET_ID = 63_001
DRAFT_KEY = f"rassylka:bot:draft:{ADMIN_ID}"
NOT_ASKING = "I am not asking you anything right now."


def live_menus(admin) -> list[dict]:
    """The admin's messages whose buttons still work the constructor (those with Save)."""
    return [
        message
        for message in admin.messages()
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
        if button.get("callback_data", "").startswith("cm:") and button["callback_data"].endswith(":save")
    ]


def draft(redis) -> dict:
    raw = redis.get(DRAFT_KEY)
    assert raw is not None, "the draft is gone"
    return json.loads(raw)


def state(driver, admin) -> str | None:
    return driver.bot.get_state(admin.id, admin.id)


def test_an_old_button_leaves_the_role_question_and_the_number_typed_next_changes_nothing(
    admin_player, make_user, api_as, driver, redis
):
    admin = admin_player
    make_user(TARGET_ID, first_name="Target", language_code="en")
    start_draft(admin, name="Kept aside")
    old_menu = admin.say("/adminmenu")[-1]
    menu = admin.say("/adminmenu")[-1]
    assert "Telegram id" in admin.press(menu, "Change a user's role")[-1]["text"]

    admin.press(old_menu, "Scheduled mailings")  # a button of an earlier admin menu
    replies = admin.say(str(TARGET_ID))
    assert [r["text"] for r in replies] == [
        f"{NOT_ASKING} Your draft is kept: /newmailing continues it. /adminmenu opens the admin menu."
    ]
    assert not any("Choose the new role" in (m.get("text") or "") for m in admin.messages())
    assert state(driver, admin) is None
    assert api_as(ADMIN_ID).get(f"/users/{TARGET_ID}").get_json()["role"] == "subscriber"
    assert draft(redis)["name"] == "Kept aside"
    assert "unfinished draft Kept aside" in admin.say("/newmailing")[-1]["text"]


def test_a_command_leaves_the_text_question_and_the_text_typed_next_is_not_taken(admin_player, redis):
    admin = admin_player
    menu = start_draft(admin, text="First text")
    assert "Send the text of the mailing" in admin.press(menu, "Text")[-1]["text"]
    admin.say("/help")
    assert admin.say("Second text")[-1]["text"].startswith(NOT_ASKING)
    assert draft(redis)["text"] == "First text"
    # /cancel right after leaving a question still says the dialog is closed.
    admin.press(live_menus(admin)[-1], "Text")
    assert "Your draft is kept" in admin.say("/cancel")[-1]["text"]


def test_every_question_says_how_to_leave_and_back_returns_to_the_one_menu(admin_player, redis, driver):
    admin = admin_player
    assert "/cancel leaves; your draft is kept." in admin.say("/newmailing")[-1]["text"]
    assert "/cancel leaves" in admin.say("Ways out")[-1]["text"]
    assert "/cancel leaves" in admin.say("Some text")[-1]["text"]
    typed_menu = admin.say("now")[-1]
    menu = add_button(admin, typed_menu, "Shop", "https://example.org/shop")

    # Label, link and media questions each carry a Back button to the menu, the draft untouched.
    for opener, answer in (("➕ Button", None), ("➕ Button", "Blog"), ("Add media", None)):
        question = admin.press(menu, opener)[-1]
        if answer is not None:
            question = admin.say(answer)[-1]
        assert button_texts(question) == ["◀ Back"], question
        admin.press(question, "Back")
        assert state(driver, admin) == "Constructor:menu"
        assert [m["message_id"] for m in live_menus(admin)] == [question["message_id"]]
        menu = admin.message(question["message_id"])
        assert "1. Shop → https://example.org/shop" in menu["text"] and "Media: none" in menu["text"]
    assert [b["text"] for b in draft(redis)["buttons"]] == ["Shop"]

    # The questions outside the constructor name /cancel.
    admin_menu = admin.say("/adminmenu")[-1]
    assert "/cancel" in admin.press(admin_menu, "Change a user's role")[-1]["text"]


def test_an_album_at_the_media_step_keeps_the_first_file_and_says_so_once(admin_player, redis):
    admin = admin_player
    menu = start_draft(admin)
    admin.press(menu, "Add media")
    sent, replies = admin.send_album(["photo", "photo", "video"])
    notes = [r for r in replies if "one attachment" in (r.get("text") or "")]
    assert len(notes) == 1, [r.get("text") for r in replies]
    assert notes[0]["text"] == (
        "That was an album, and a mailing carries one attachment, so only the first file was added."
    )
    assert draft(redis)["media"] == {"type": "photo", "file_id": sent[0]["photo"][-1]["file_id"]}
    assert len(live_menus(admin)) == 1 and "Media: photo" in live_menus(admin)[0]["text"]
    assert not any("Please use the buttons" in (r.get("text") or "") for r in replies)


def test_a_captioned_album_at_the_text_step_offers_its_first_file_and_says_so_once(admin_player, redis):
    admin = admin_player
    admin.say("/newmailing")
    admin.say("Album")
    sent, replies = admin.send_album(["photo", "video", "photo"], group="album-2", caption="Three views")
    texts = [r.get("text") or "" for r in replies]
    assert sum("one attachment" in t for t in texts) == 1, texts
    assert sum("has a caption" in t for t in texts) == 1, texts
    offer = next(r for r in replies if "has a caption" in (r.get("text") or ""))
    admin.press(offer, "Yes, text and attachment")
    kept = draft(redis)
    assert kept["text"] == "Three views"
    assert kept["media"] == {"type": "photo", "file_id": sent[0]["photo"][-1]["file_id"]}


def test_a_captioned_photo_at_the_text_step_offers_caption_and_photo(admin_player, redis, driver):
    admin = admin_player
    admin.say("/newmailing")
    admin.say("Captioned")
    offer = admin.send_media("photo", caption="Autumn sale starts today")[-1]
    assert offer["text"] == (
        "This photo has a caption. Use the caption as the mailing's text and the photo as its attachment?"
    )
    assert button_texts(offer) == [
        "Yes, text and attachment",
        "Only the text, no file",
        "No, I will send the text",
    ]
    assert "When to send it?" in admin.press(offer, "Yes, text and attachment")[-1]["text"]
    kept = draft(redis)
    assert kept["text"] == "Autumn sale starts today" and kept["media"]["type"] == "photo"
    assert "offer" not in kept

    # Only the text: the caption becomes the text, the file is not attached.
    menu = admin.say("now")[-1]
    admin.press(menu, "Text")
    # A plain caption follows a typed text's rule: never refused, kept exactly as written.
    offer = admin.send_media("video", caption="Just the words: Tom & Jerry, 5 < 6")[-1]
    admin.press(offer, "Only the text")
    assert draft(redis)["text"] == "Just the words: Tom &amp; Jerry, 5 &lt; 6"
    assert draft(redis)["media"]["type"] == "photo"

    # Neither: the text is asked again.
    admin.press(live_menus(admin)[-1], "Text")
    offer = admin.send_media("photo", caption="Not this")[-1]
    assert "Send the text of the mailing" in admin.press(offer, "No, I will send the text")[-1]["text"]
    assert state(driver, admin) == "Constructor:text"
    assert draft(redis)["text"] == "Just the words: Tom &amp; Jerry, 5 &lt; 6"


def test_removing_a_button_or_the_attachment_asks_first(admin_player, redis):
    admin = admin_player
    menu = start_draft(admin)
    menu = add_button(admin, menu, "Shop", "https://example.org/shop")
    admin.press(menu, "Add media")
    menu = admin.send_media("photo")[-1]

    admin.press(menu, "🔀 Buttons")
    manager = admin.message(menu["message_id"])
    admin.press(manager, "✖")
    question = admin.message(menu["message_id"])
    assert question["text"] == "Delete the button “Shop” (https://example.org/shop)?"
    assert len(draft(redis)["buttons"]) == 1
    admin.press(question, "No, keep it")
    manager = admin.message(menu["message_id"])
    assert "1. Shop" in button_texts(manager)
    admin.press(manager, "✖")
    admin.press(admin.message(menu["message_id"]), "Yes, delete")
    assert draft(redis)["buttons"] == []

    admin.press(admin.message(menu["message_id"]), "Remove media")
    question = admin.message(menu["message_id"])
    assert question["text"] == "Remove the attachment (photo) from the mailing?"
    admin.press(question, "Back")
    assert draft(redis)["media"]["type"] == "photo"
    admin.press(admin.message(menu["message_id"]), "Remove media")
    admin.press(admin.message(menu["message_id"]), "Yes, remove")
    assert draft(redis)["media"] is None
    assert "Media: none" in admin.message(menu["message_id"])["text"]


def test_preview_is_the_one_test_send_and_leaves_one_live_menu(admin_player):
    admin = admin_player
    menu = start_draft(admin)
    labels = button_texts(menu)
    assert "👁 Preview" in labels and not any("Test" in label or "test" in label for label in labels)
    replies = admin.press(menu, "Preview")
    assert replies[0]["text"] == "👁 Preview — exactly as subscribers will see it:"
    assert replies[1]["text"] == "Sale starts today"
    assert [m["message_id"] for m in live_menus(admin)] == [replies[-1]["message_id"]]
    assert admin.messages()[-1]["message_id"] == replies[-1]["message_id"]
    assert button_texts(admin.message(menu["message_id"])) == []


def _deliver(driver, admin, **content) -> None:
    """A message the sandbox cannot play (a location, a poll), handed to the bot as getUpdates would."""
    driver.drive()
    message = {
        "message_id": 10**6 + int(time.monotonic_ns() % 10**6),
        "from": {"is_bot": False, **admin.user},
        "chat": {"id": admin.id, "type": "private", "first_name": admin.user["first_name"]},
        "date": int(time.time()),
        **content,
    }
    driver.bot.process_new_updates([types.Update.de_json({"update_id": 10**9, "message": message})])


def test_refused_kinds_are_named_in_words(player, make_user, driver):
    make_user(ADMIN_ID + 1, role="admin", first_name="Анна", language_code="ru")
    admin = player(ADMIN_ID + 1, first_name="Анна", language_code="ru")
    menu = start_draft_ru(admin)
    admin.press(menu, "Добавить вложение")
    _deliver(driver, admin, location={"latitude": 55.75, "longitude": 37.62})
    refusal = admin.messages()[-2]["text"]
    assert refusal.startswith("В рассылку нельзя добавить геопозицию.")
    assert "location" not in refusal
    poll = {
        "id": "1",
        "question": "Q?",
        "options": [{"persistent_id": "0", "text": "a", "voter_count": 0}],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }
    _deliver(driver, admin, poll=poll)
    assert admin.messages()[-2]["text"].startswith("В рассылку нельзя добавить опрос.")


def start_draft_ru(admin) -> dict:
    admin.say("/newmailing")
    admin.say("Осень")
    admin.say("Распродажа")
    return admin.say("now")[-1]


def test_the_browser_shows_the_time_left_as_minutes_and_seconds(admin_player, make_user, api_as, db_session):
    admin = admin_player
    for tg_id in range(64_001, 64_005):
        make_user(tg_id, first_name="Reader")
    send_at = datetime.now(UTC) + timedelta(hours=1)
    body = {"name": "Progress", "text": "Soon", "send_at": send_at.isoformat()}
    mailing_id = api_as(admin.id).post("/mailings", json=body).get_json()["id"]
    assert api_as(admin.id).post(f"/mailings/{mailing_id}/send-now").status_code == 200
    # As if the engine had fanned the audience out, run for 100 s and sent two: the rest goes at 0.02/s.
    while delivery_ledger.fan_out_chunk(db_session.get_bind(), mailing_id):
        pass
    db_session.execute(
        text("UPDATE mailings SET started_at = now() - interval '100 seconds' WHERE id = :m"),
        {"m": mailing_id},
    )
    db_session.execute(
        text(
            "UPDATE deliveries SET status = 'sent' WHERE id IN "
            "(SELECT id FROM deliveries WHERE mailing_id = :m ORDER BY id LIMIT 2)"
        ),
        {"m": mailing_id},
    )
    db_session.commit()
    menu = admin.say("/adminmenu")[-1]
    control = admin.press(menu, "Scheduled mailings")[-1]
    left = re.search(r"about (\S+) left", control["text"])
    assert left is not None, control["text"]
    assert re.fullmatch(r"\d+:\d\d", left.group(1)), control["text"]
