"""Tagging users from a CSV document sent to the bot (admins)."""

from telebot_app.handlers.tagging import read_lines
from tests.telebot_app.conftest import ADMIN_ID


def test_csv_lines_read_with_a_header_blank_lines_and_semicolons():
    assert read_lines("tg_id,tag\n1,vip\n\n2, clients\n") == [(1, "vip"), (2, "clients")]
    assert read_lines("\ufeff1;vip\r\n2;клиенты\r\n") == [(1, "vip"), (2, "клиенты")]


def test_a_csv_tags_users_and_names_unknown_ids_and_bad_lines(admin_player, make_user, api_as):
    make_user(63_001, tags=["old"])
    make_user(63_002)
    admin = admin_player
    ask = admin.press(admin.say("/adminmenu")[-1], "Tag users")[-1]
    assert ask["text"].startswith("Send a CSV file with lines tg_id,tag")

    assert admin.say("63001,vip")[-1]["text"] == "Please send the CSV as a file (or /cancel)."
    replies = admin.send_file(b"tg_id,tag\n63001,vip\n\nabc,vip\n", "tags.csv")
    assert (
        replies[-1]["text"]
        == "Line 4: “abc” is not a Telegram id (digits).\nFix the file and send it again, or /cancel."
    )
    replies = admin.send_file(b"63001,vip\n63002,vip,extra\n", "tags.csv")
    assert replies[-1]["text"].startswith("Line 2: expected two values, tg_id,tag; found 3.")
    replies = admin.send_file(b"63001,vip\n63002,not a tag\n", "tags.csv")
    assert replies[-1]["text"].startswith("Line 2: “not a tag” is not a tag")
    assert api_as(ADMIN_ID).get("/users/63001").get_json()["tags"] == ["old"]  # nothing changed yet

    replies = admin.send_file(b"tg_id,tag\n63001,vip\n63002,vip\n63002,clients\n69999,vip\n", "tags.csv")
    assert [m["text"] for m in replies] == [
        "✅ Done: 4 lines read, 3 tag changes made.",
        "Unknown ids (they never wrote to the bot), skipped: 69999",
    ]
    assert sorted(api_as(ADMIN_ID).get("/users/63001").get_json()["tags"]) == ["old", "vip"]
    assert sorted(api_as(ADMIN_ID).get("/users/63002").get_json()["tags"]) == ["clients", "vip"]
    assert admin.say("63001,vip")[-1]["text"].startswith("I am not asking you anything")  # the dialog is over


def test_a_csv_in_russian(player, make_user, api_as):
    make_user(ADMIN_ID, role="admin", first_name="Boss", language_code="ru")
    make_user(63_003)
    admin = player(ADMIN_ID, first_name="Boss", language_code="ru")
    ask = admin.press(admin.say("/adminmenu")[-1], "Метки из CSV")[-1]
    assert ask["text"].startswith("Пришлите CSV-файл со строками tg_id,tag")
    assert admin.send_file("63003;постоянный\n".encode("cp1251"), "tags.csv")[-1]["text"].startswith(
        "Это не текст в UTF-8"
    )
    replies = admin.send_file("63003;постоянный\n".encode(), "tags.csv")
    assert replies[-1]["text"] == "✅ Готово: прочитано строк — 1, изменено меток — 1."
    assert api_as(ADMIN_ID).get("/users/63003").get_json()["tags"] == ["постоянный"]
