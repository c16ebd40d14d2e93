"""Changing roles by id and by forwarded message; refusals for subscribers, commands and buttons alike."""

from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup


def open_role_dialog(admin) -> None:
    menu = admin.say("/adminmenu")[-1]
    assert "Send the user's Telegram id" in admin.press(menu, "Change a user's role")[-1]["text"]


def test_role_change_by_id_with_confirmation(admin_player, player, api_as, sandbox):
    bob = player(60_001, first_name="Bob", username="bobby")
    bob.say("/start")
    admin = admin_player
    open_role_dialog(admin)
    card = admin.say(str(bob.id))[-1]
    assert "Bob (@bobby)\nid: 60001\nrole: subscriber\nsubscription: active" in card["text"]
    admin.press(card, "moderator")
    question = admin.message(card["message_id"])
    assert question["text"] == "Make user 60001 a moderator?"
    admin.press(question, "Yes, change")
    assert admin.answer["text"] == "Role changed"
    assert "Done: the role is now moderator." in admin.message(card["message_id"])["text"]
    assert api_as(admin.id).get(f"/users/{bob.id}").get_json()["role"] == "moderator"
    # The new moderator's chat gets the staff commands.
    scopes = {s["scope"]: s for s in sandbox.bot_commands()["scopes"]}
    assert "newmailing" in [c["command"] for c in scopes[f"chat:{bob.id}"]["commands"]]


def test_role_change_by_forwarded_message(admin_player, player, api_as):
    carol = player(60_002, first_name="Carol")
    carol.say("/start")
    admin = admin_player
    open_role_dialog(admin)
    card = admin.forward("hi, it's Carol", from_id=carol.id)[-1]
    assert "Carol" in card["text"] and "id: 60002" in card["text"]
    admin.press(card, "admin")
    admin.press(admin.message(card["message_id"]), "Yes, change")
    assert api_as(admin.id).get(f"/users/{carol.id}").get_json()["role"] == "admin"


def test_unknown_ids_non_numbers_and_the_last_admin(admin_player, player):
    admin = admin_player
    open_role_dialog(admin)
    assert "That is not a Telegram id" in admin.say("bob")[-1]["text"]
    assert "No user with id 999999" in admin.say("999999")[-1]["text"]
    stranger = player(60_003)  # exists in Telegram, never pressed /start
    assert "must send /start" in admin.forward("hello", from_id=stranger.id)[-1]["text"]
    card = admin.say(str(admin.id))[-1]
    assert "role: admin" in card["text"]
    admin.press(card, "subscriber")
    admin.press(admin.message(card["message_id"]), "Yes, change")
    assert "This is the last admin" in admin.message(card["message_id"])["text"]
    assert "Admin menu" in admin.say("/adminmenu")[-1]["text"]


def test_role_change_can_be_dropped_and_cancel_leaves_the_dialog(admin_player, player):
    admin = admin_player
    open_role_dialog(admin)
    assert admin.say("/cancel")[-1]["text"] == "Done, the dialog is closed."
    assert "not asking you anything" in admin.say("12345")[-1]["text"]
    player(60_004).say("/start")
    open_role_dialog(admin)
    card = admin.say("60004")[-1]
    admin.press(card, "Cancel")
    assert admin.message(card["message_id"])["text"] == "The role stays as it was."


def test_subscriber_is_refused_admin_commands_and_buttons(player, make_user, driver, api_as):
    sub = player(60_010, first_name="Sub")
    sub.say("/start")
    refusal = "Sorry, this is only for admins and moderators."
    assert sub.say("/adminmenu")[-1]["text"] == refusal
    assert sub.say("/newmailing")[-1]["text"] == refusal
    assert api_as(sub.id).get("/mailings").status_code == 403  # the API refuses on its own too

    # Buttons of every admin feature, as an old message of a demoted admin (or a forged one) would carry.
    markup = InlineKeyboardMarkup()
    for data in ("am:roles", "rl:ok:60010:admin", "ml:p:1", "ml:delok:1:1", "cm:abc123:save", "mc:pause:1"):
        markup.row(InlineKeyboardButton(data, callback_data=data))
    message = driver.bot.send_message(sub.id, "old admin message", reply_markup=markup)
    for data in ("am:roles", "rl:ok:60010:admin", "ml:p:1", "ml:delok:1:1", "cm:abc123:save", "mc:pause:1"):
        assert sub.press_data(message.message_id, data) == []
        assert sub.answer["text"] == refusal and sub.answer["show_alert"] is True
    assert api_as(sub.id).get(f"/users/{sub.id}").get_json()["role"] == "subscriber"


def test_demoted_admin_loses_the_menu_and_old_buttons(admin_player, player, make_user, api_as, sandbox):
    make_user(60_020, role="admin", first_name="Second")
    second = player(60_020, first_name="Second")
    menu = second.say("/adminmenu")[-1]
    admin = admin_player
    open_role_dialog(admin)
    card = admin.say("60020")[-1]
    admin.press(card, "subscriber")
    admin.press(admin.message(card["message_id"]), "Yes, change")
    assert api_as(admin.id).get("/users/60020").get_json()["role"] == "subscriber"
    assert "chat:60020" not in {s["scope"] for s in sandbox.bot_commands()["scopes"]}
    assert second.press(menu, "Scheduled mailings") == []
    assert second.answer["text"] == "Sorry, this is only for admins and moderators."


def test_moderator_gets_mailings_but_not_roles(player, make_user, driver):
    make_user(60_030, role="moderator", first_name="Mo")
    mo = player(60_030, first_name="Mo")
    menu = mo.say("/adminmenu")[-1]
    labels = " ".join(b["text"] for row in menu["reply_markup"]["inline_keyboard"] for b in row)
    assert "Scheduled mailings" in labels and "New mailing" in labels and "role" not in labels
    assert "internal name" in mo.press(menu, "New mailing")[-1]["text"]
    markup = InlineKeyboardMarkup().row(InlineKeyboardButton("roles", callback_data="am:roles"))
    forged = driver.bot.send_message(mo.id, "forged", reply_markup=markup)
    assert mo.press_data(forged.message_id, "am:roles") == []
    assert mo.answer["text"] == "Sorry, only admins can do this."
