"""Invite links in /adminmenu (admins): the list with whom each brought, and a new link named in the chat."""

import re

from tests.telebot_app.conftest import ADMIN_ID, button_texts

BOT_LINK = re.compile(r"https://t\.me/sandbox_777001_bot\?start=([A-Za-z0-9_\-]+)")


def open_links(admin, label: str) -> list[dict]:
    return admin.press(admin.say("/adminmenu")[-1], label)


def test_make_a_link_and_count_whom_it_brought(admin_player, player):
    admin = admin_player
    listing = open_links(admin, "Invite links")[-1]
    assert listing["text"].startswith("Invite links\nThere are none yet.")
    assert button_texts(listing) == ["➕ New link"]

    assert admin.press(listing, "New link")[-1]["text"].startswith("Send the new link's name")
    assert admin.say(" \u2800 ")[-1]["text"].startswith("The name cannot be blank")
    refused = admin.say("x" * 101)[-1]["text"]
    assert refused.startswith("The link was not made:\n") and refused.endswith(
        "Send another name, or /cancel."
    )

    made = admin.say("Spring flyer")[-1]["text"]
    assert made.startswith("✅ Link made: Spring flyer\nhttps://t.me/sandbox_777001_bot?start=")
    source = BOT_LINK.search(made).group(1)
    assert admin.say("Autumn")[-1]["text"].startswith("I am not asking you anything")  # the dialog is over

    guest = player(61_001, first_name="Guest")
    guest.say(f"/start {source}")
    guest.say("/stop")
    player(61_002, first_name="Guest 2").say(f"/start {source}")

    listing = open_links(admin, "Invite links")[-1]
    link = f"https://t.me/sandbox_777001_bot?start={source}"
    assert listing["text"] == f"Invite links (1)\n\nSpring flyer\n{link}\nbrought 2, active 1"


def test_invite_links_in_russian_and_only_for_admins(player, make_user):
    make_user(ADMIN_ID, role="admin", first_name="Boss", language_code="ru")
    admin = player(ADMIN_ID, first_name="Boss", language_code="ru")
    listing = open_links(admin, "Пригласительные ссылки")[-1]
    assert listing["text"].startswith("Пригласительные ссылки\nПока нет ни одной.")
    assert admin.press(listing, "Новая ссылка")[-1]["text"].startswith("Пришлите название новой ссылки")
    assert admin.say("\u2800")[-1]["text"].startswith("Название не может быть пустым")
    made = admin.say("Листовка")[-1]["text"]
    assert made.startswith("✅ Ссылка создана: Листовка\nhttps://t.me/sandbox_777001_bot?start=")
    listing = open_links(admin, "Пригласительные ссылки")[-1]
    assert listing["text"].startswith("Пригласительные ссылки (1)\n\nЛистовка\n")
    assert listing["text"].endswith("привела 0, активны 0")

    make_user(62_001, role="moderator", first_name="Mod", language_code="en")
    moderator = player(62_001, first_name="Mod")
    menu = moderator.say("/adminmenu")[-1]
    assert not {"🔗 Invite links", "🏷 Tag users (CSV)"} & set(button_texts(menu))
