"""The constructor's Audience step (everyone, or tags and language typed), saved with the mailing, and
the audience line of the browser's card."""

import pytest

from telebot_app.segments import SegmentUnreadable, parse_segment
from tests.telebot_app.conftest import ADMIN_ID
from tests.telebot_app.test_constructor import send_time, start_draft


@pytest.fixture
def subscribers(make_user):
    """Four subscribers besides the admin: five active in all."""
    make_user(60_001, language_code="ru", tags=["vip"])
    make_user(60_002, language_code="en", tags=["vip"])
    make_user(60_003, language_code="ru-RU", tags=["clients"])
    make_user(60_004, language_code="ru")
    make_user(60_005, status="unsubscribed", language_code="ru", tags=["vip"])


def test_typed_audiences_read_or_say_why():
    assert parse_segment("tags: vip, clients; language: RU") == {
        "tags_any": ["vip", "clients"],
        "languages": ["ru"],
    }
    assert parse_segment("метки: клиенты vip\nязык: ru") == {
        "tags_any": ["клиенты", "vip"],
        "languages": ["ru"],
    }
    for typed, key in (
        ("vip", "segment_no_colon"),
        ("colour: red", "segment_unknown_key"),
        ("tags: ", "segment_no_values"),
        ("tags: vip!", "segment_bad_tag"),
        ("language: russian", "segment_bad_language"),
        (" ; ", "segment_blank"),
    ):
        with pytest.raises(SegmentUnreadable) as caught:
            parse_segment(typed)
        assert caught.value.key == key, typed


def test_audience_picked_saved_shown_on_the_card_and_reset_when_edited(admin_player, subscribers, api_as):
    admin = admin_player
    menu = start_draft(admin)
    assert "\nAudience: everyone\n" in menu["text"]

    admin.press(menu, "👥 Audience")
    choice = admin.message(menu["message_id"])
    assert choice["text"].startswith("Audience: everyone (5)\n\nWho gets this mailing")
    ask = admin.press(choice, "Pick")[-1]
    assert ask["text"].startswith("Send who gets it, e.g. tags: vip, clients; language: ru")

    replies = admin.say("tags: vip, clients; colour: red")
    assert replies[0]["text"] == "This will not work:\n• I know only tags: and language:, not “colour”."
    assert replies[-1]["text"].startswith("Send who gets it")
    replies = admin.say("tags: vip!")
    assert "“vip!” is not a tag" in replies[0]["text"]

    replies = admin.say("tags: vip, clients; language: ru")
    assert replies[0]["text"] == "Audience: to 2 of 5 — language ru, tag clients or vip"
    menu = replies[-1]
    assert "\nAudience: language ru, tag clients or vip\n" in menu["text"]

    admin.press(menu, "Save")
    admin.press(admin.message(menu["message_id"]), "Yes, save")
    assert admin.message(menu["message_id"])["text"].startswith("✅ Saved: Autumn sale")
    mailing = api_as(ADMIN_ID).get("/mailings").get_json()["items"][0]
    assert mailing["segment"] == {"languages": ["ru"], "tags_any": ["clients", "vip"]}

    # The browser's card counts the audience now.
    control = admin.press(admin.say("/adminmenu")[-1], "Scheduled mailings")[-1]
    assert "\nAudience: to 2 of 5 — language ru, tag clients or vip" in control["text"]

    # Editing keeps the audience; Everyone clears it.
    menu = admin.press(control, "Edit")[-1]
    assert "\nAudience: language ru, tag clients or vip\n" in menu["text"]
    admin.press(menu, "👥 Audience")
    admin.press(admin.message(menu["message_id"]), "Everyone")
    assert admin.answer["text"] == "The mailing goes to everyone"
    menu = admin.message(menu["message_id"])
    assert "\nAudience: everyone\n" in menu["text"]
    admin.press(menu, "Save")
    admin.press(admin.message(menu["message_id"]), "Yes, save")
    assert api_as(ADMIN_ID).get(f"/mailings/{mailing['id']}").get_json()["segment"] is None

    control = admin.press(admin.say("/adminmenu")[-1], "Scheduled mailings")[-1]
    assert "\nAudience: everyone (5)" in control["text"]


def test_audience_in_russian(player, make_user, subscribers, api_as):
    make_user(ADMIN_ID, role="admin", first_name="Boss", language_code="ru")
    admin = player(ADMIN_ID, first_name="Boss", language_code="ru")
    admin.say("/newmailing")
    admin.say("Осенняя")
    admin.say("Текст")
    menu = admin.say(send_time()[0])[-1]
    assert "\nАудитория: все подписчики\n" in menu["text"]

    admin.press(menu, "Аудитория")
    choice = admin.message(menu["message_id"])
    assert choice["text"].startswith("Аудитория: все (5)")
    assert admin.press(choice, "Выбрать")[-1]["text"].startswith("Пришлите, кому отправить")
    replies = admin.say("метки vip")
    assert replies[0]["text"].startswith("Так не получится:\n• В «метки vip» нет двоеточия")
    replies = admin.say("метки: vip; язык: ru")
    assert replies[0]["text"] == "Аудитория: 1 из 5 — язык ru, метка vip"
    menu = replies[-1]
    assert "\nАудитория: язык ru, метка vip\n" in menu["text"]

    admin.press(menu, "Сохранить")
    admin.press(admin.message(menu["message_id"]), "Да, сохранить")
    control = admin.press(admin.say("/adminmenu")[-1], "Запланированные рассылки")[-1]
    assert "\nАудитория: 1 из 5 — язык ru, метка vip" in control["text"]
