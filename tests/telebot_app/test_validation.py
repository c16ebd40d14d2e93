"""Every answer is checked by the API's rules; a wrong one gets its precise message and the question again."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.telebot_app.test_constructor import add_button, start_draft


def test_name_text_and_time_errors_repeat_the_question(admin_player):
    admin = admin_player
    admin.say("/newmailing")
    error, question = admin.say("x" * 101)
    assert (
        error["text"]
        == "This will not work:\n• The name is 101 characters long; the limit is 100. Shorten it."
    )
    assert "internal name" in question["text"]
    admin.say("Name ok")

    # Broken HTML is not refused: it is read as plain text, and the admin hears why.
    notice, question = admin.say("<b>Sale starts")
    assert notice["text"].startswith("Read as plain text: subscribers will see it exactly as you typed it")
    assert notice["text"].endswith("The <b> tag at character 1 is never closed: add </b>.")
    assert "When to send it?" in question["text"]

    for typed in ("tomorrow", "31.02.2031 10:00", "25:00", "1.1.31 10:00"):
        unread = admin.say(typed)[-1]["text"]
        assert unread.startswith("I cannot read that time.") and unread.endswith(
            "/cancel leaves; your draft is kept."
        ), typed
    past = admin.say("01.01.2020 10:00")[-1]["text"]
    assert past.startswith(
        "This time will not work:\n• The send time 01.01.2020 10:00 MSK (Europe/Moscow) is not in the future"
    )
    assert past.endswith("Send another time (Europe/Moscow).\n\n/cancel leaves; your draft is kept."), past
    menu = admin.say("23:59")[-1]
    moscow = datetime.now(UTC).astimezone(ZoneInfo("Europe/Moscow"))
    expected_day = (
        moscow.date() if (moscow.hour, moscow.minute) < (23, 59) else moscow.date() + timedelta(days=1)
    )
    assert f"Send time: {expected_day:%d.%m.%Y} 23:59 MSK (Europe/Moscow)" in menu["text"]
    assert "Text:\n<b>Sale starts" in menu["text"]  # kept as plain text: shown as typed


def test_button_errors(admin_player):
    admin = admin_player
    menu = start_draft(admin)
    admin.press(menu, "➕ Button")
    error, question = admin.say("L" * 65)
    assert (
        error["text"]
        == "This will not work:\n• The label of button 1 is 65 characters long; the limit is 64."
    )
    assert "label of button 1" in question["text"]
    admin.say("Site")
    error, question = admin.say("ftp://example.org")
    assert error["text"].startswith("This will not work:\n• The link of button 1 must start with")
    assert "link for “Site”" in question["text"]
    error, _ = admin.say("example.org/page")
    assert (
        "The link of button 1 must start with http://, https:// or tg:// (it starts with 'example.org/page')"
        in error["text"]
    )
    error, _ = admin.say("https://exa mple.org")
    assert "contains a space" in error["text"]
    assert "1. Site → https://example.org/" in admin.say("https://example.org/")[-1]["text"]


def test_media_refusals_removal_and_each_kind(admin_player):
    admin = admin_player
    menu = start_draft(admin)
    admin.press(menu, "Add media")
    refusal, question = admin.say("here is my picture")
    assert refusal["text"].startswith("That is text, not a file.")
    assert "Send one photo" in question["text"]
    for kind, shown in (
        ("animation", "GIF"),
        ("document", "document"),
        ("audio", "audio"),
        ("voice", "voice message"),
        ("photo", "photo"),
    ):
        replies = admin.send_media(kind)
        assert shown in replies[0]["text"], kind
        menu = replies[-1]
        assert f"Media: {shown}" in menu["text"]
        admin.press(menu, "Replace media")
    admin.say("/cancel")  # leaves the media question; the draft stays
    menu = admin.press(admin.say("/newmailing")[-1], "Continue it")[-1]
    admin.press(menu, "Remove media")
    admin.press(admin.message(menu["message_id"]), "Yes, remove")
    assert admin.answer["text"] == "Media removed"
    assert "Media: none" in admin.message(menu["message_id"])["text"]


def test_a_too_long_caption_is_allowed_with_media_and_send_now(admin_player, api_as):
    admin = admin_player
    admin.say("/newmailing")
    admin.say("Now")
    admin.say("x" * 2000)
    menu = admin.say("now")[-1]
    assert "Send time: now (right after saving)" in menu["text"]
    admin.press(menu, "Add media")
    menu = admin.send_media("photo")[-1]
    replies = admin.press(menu, "Preview")
    assert "photo" in replies[1] and replies[2]["text"] == "x" * 2000  # media first, then the long text
    menu = replies[-1]
    admin.press(menu, "Save")
    question = admin.message(menu["message_id"])
    assert question["text"] == "Save Now? Send time: now (right after saving)."
    admin.press(question, "Yes, save")
    assert "is being sent now" in admin.message(menu["message_id"])["text"]
    assert api_as(admin.id).get("/mailings").get_json()["items"][0]["status"] == "sending"


def test_typing_in_the_menu_or_sending_files_to_text_questions(admin_player):
    admin = admin_player
    menu = start_draft(admin)
    replies = admin.say("hello?")
    assert replies[0]["text"] == "Please use the buttons below (or /cancel)."
    assert "New mailing" in replies[-1]["text"]
    admin.press(replies[-1], "✏ Name")
    assert admin.send_media("photo")[-1]["text"] == "Please send text here (or /cancel)."
    assert admin.say("/whatever")[-1]["text"] == "I do not know this command. /help lists the ones I know."
    # A command leaves the question: what is typed next is not taken as the name.
    assert admin.say("Renamed")[-1]["text"].startswith("I am not asking you anything right now.")
    admin.press(replies[-1], "✏ Name")
    menu = admin.say("Renamed")[-1]
    assert "Name: Renamed" in menu["text"]
    add_button(admin, menu, "A", "https://example.org/a")


def test_a_send_time_that_passed_before_saving_is_refused_and_the_draft_kept(admin_player, redis):
    import json

    admin = admin_player
    menu = start_draft(admin, name="Late")
    key = f"rassylka:bot:draft:{admin.id}"
    draft = json.loads(redis.get(key))
    draft["send_at"] = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    redis.set(key, json.dumps(draft))  # as if the admin had left the menu open past the send time
    admin.press(menu, "Save")
    replies = admin.press(admin.message(menu["message_id"]), "Yes, save")
    assert replies[0]["text"].startswith("Not saved:\n• The send time ")
    assert "is not in the future" in replies[0]["text"] and "Your draft is kept." in replies[0]["text"]
    menu = replies[-1]
    admin.press(menu, "🕒 Time")
    typed = f"{(datetime.now(UTC) + timedelta(days=3)).astimezone(ZoneInfo('Europe/Moscow')):%d.%m.%Y} 10:00"
    menu = admin.say(typed)[-1]
    admin.press(menu, "Save")
    admin.press(admin.message(menu["message_id"]), "Yes, save")
    assert f"will be sent at {typed} MSK" in admin.message(menu["message_id"])["text"]
    assert redis.get(key) is None


def test_typed_plain_text_is_kept_as_typed_and_html_read_as_html(admin_player, api_as, sandbox):
    admin = admin_player
    admin.say("/newmailing")
    admin.say("Cartoons")
    notice, question = admin.say("Tom & Jerry: 5 < 6")
    assert notice["text"] == "Read as plain text: subscribers will see it exactly as you typed it."
    assert "When to send it?" in question["text"]
    menu = admin.say("now")[-1]

    replies = admin.press(menu, "Preview")
    assert replies[1]["text"] == "Tom & Jerry: 5 < 6" and not replies[1].get("entities")
    menu = replies[-1]
    admin.press(menu, "✏ Text")
    notice, menu = admin.say("<b>Tom</b> &amp; Jerry")
    assert notice["text"] == "Read as HTML: the tags become formatting."
    admin.press(menu, "✏ Text")
    notice, menu = admin.say("Tom & Jerry: 5 < 6")
    assert "Text:\nTom & Jerry: 5 < 6" in menu["text"]  # the menu shows it as typed, not escaped
    admin.press(menu, "Save")
    admin.press(admin.message(menu["message_id"]), "Yes, save")

    (mailing,) = api_as(admin.id).get("/mailings").get_json()["items"]
    assert mailing["text"] == "Tom &amp; Jerry: 5 &lt; 6"
    chat = admin.id
    sent = api_as(admin.id).post(f"/mailings/{mailing['id']}/test", json={"chat_id": chat})
    assert sent.status_code == 200, sent.get_json()
    assert sandbox.messages(chat)[-1]["text"] == "Tom & Jerry: 5 < 6"


def test_a_russian_admin_reads_problems_in_russian(player, make_user):
    admin = player(4242, first_name="Иван", language_code="ru")
    make_user(admin.id, role="admin")
    admin.say("/newmailing")
    error, _ = admin.say("x" * 101)
    assert error["text"] == "Так не получится:\n• Название длиннее 100 символов (сейчас 101). Сократите его."
    admin.say("Распродажа")
    notice, _ = admin.say("<b>Скидки")
    assert notice["text"].endswith("Тег <b> в позиции 1 не закрыт: добавьте </b>.")
    past = admin.say("01.01.2020 10:00")[-1]["text"]
    assert "• Время отправки 01.01.2020 10:00 MSK (Europe/Moscow) уже прошло" in past
