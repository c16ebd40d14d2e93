"""A user whose role changes is told in their language and gets their menu; staff switch their reports."""

from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup

from telebot_app import texts
from tests.telebot_app.conftest import button_texts


def _change_role(admin, target_id: int, role: str, lang: str = "en") -> dict:
    """The admin's dialog: menu, role button, the target's id, the role, yes; returns the card."""
    menu = admin.say("/adminmenu")[-1]
    admin.press(menu, texts.text(lang, "btn_roles"))
    card = admin.say(str(target_id))[-1]
    admin.press(card, texts.text(lang, f"role_{role}"))
    admin.press(admin.message(card["message_id"]), texts.text(lang, "btn_yes_change"))
    return card


def _chat_commands(sandbox, chat_id: int) -> dict[str, str] | None:
    scopes = {s["scope"]: s for s in sandbox.bot_commands()["scopes"]}
    scope = scopes.get(f"chat:{chat_id}")
    return None if scope is None else {c["command"]: c["description"] for c in scope["commands"]}


def test_the_target_is_told_in_their_own_language_with_their_menu(admin_player, player, sandbox, api_as):
    ivan = player(61_001, first_name="Иван", language_code="ru")
    ivan.say("/start")
    _change_role(admin_player, ivan.id, "moderator")
    assert api_as(admin_player.id).get(f"/users/{ivan.id}").get_json()["role"] == "moderator"
    assert ivan.last()["text"] == texts.text("ru", "role_now_moderator")
    assert _chat_commands(sandbox, ivan.id)["newmailing"] == texts.text("ru", "cmd_newmailing")
    told = len(ivan.messages())
    _change_role(admin_player, ivan.id, "moderator")  # the role they have: nothing to tell
    assert "Done: the role is now moderator." in admin_player.last()["text"]
    assert len(ivan.messages()) == told

    _change_role(admin_player, ivan.id, "subscriber")
    assert ivan.last()["text"] == texts.text("ru", "role_now_subscriber")
    assert _chat_commands(sandbox, ivan.id) is None


def test_a_role_changed_by_an_api_client_is_told_the_same_way(app, client, player, sandbox, driver):
    olga = player(61_020, first_name="Ольга", language_code="ru")
    olga.say("/start")
    issued = app.test_cli_runner().invoke(args=["tokens", "issue", "crm", "--role", "admin"])
    headers = {"Authorization": f"Bearer {issued.output.strip().splitlines()[-1]}"}
    changed = client.patch(f"/api/v1/users/{olga.id}", json={"role": "moderator"}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    driver.drive()  # the bot's notice thread, run in step
    assert olga.last()["text"] == texts.text("ru", "role_now_moderator")
    assert _chat_commands(sandbox, olga.id)["adminmenu"] == texts.text("ru", "cmd_adminmenu")
    told = len(olga.messages())
    client.patch(f"/api/v1/users/{olga.id}", json={"role": "moderator"}, headers=headers)
    driver.drive()
    assert len(olga.messages()) == told  # the same role again: nothing to tell


def test_a_language_we_do_not_speak_falls_back_to_the_bots_not_the_admins(player, make_user, sandbox):
    make_user(61_010, role="admin", first_name="Босс", language_code="ru")
    boss = player(61_010, first_name="Босс", language_code="ru")
    hans = player(61_011, first_name="Hans", language_code="de")
    hans.say("/start")
    _change_role(boss, hans.id, "admin", lang="ru")
    assert "Готово" in boss.last()["text"]  # the admin reads their own language
    # The tests' BOT_LANGUAGE is English.
    assert hans.last()["text"] == texts.text("en", "role_now_admin")
    assert _chat_commands(sandbox, hans.id)["adminmenu"] == texts.text("en", "cmd_adminmenu")


def test_staff_switch_their_reports_in_the_admin_menu(player, make_user, api_as):
    make_user(61_030, role="moderator", first_name="Mo")
    mo = player(61_030, first_name="Mo")
    old = mo.say("/adminmenu")[-1]
    menu = mo.say("/adminmenu")[-1]
    assert texts.text("en", "btn_reports_on") in button_texts(menu)
    mo.press(menu, texts.text("en", "btn_reports_on"))
    assert mo.answer["text"] == texts.text("en", "reports_turned_off")
    assert api_as(mo.id).get(f"/users/{mo.id}").get_json()["wants_reports"] is False
    switched = mo.message(menu["message_id"])
    assert texts.text("en", "btn_reports_off") in button_texts(switched)
    assert texts.text("en", "btn_mailings") in button_texts(switched)  # the rest of the menu stays

    # An older menu's button names the state it leads to: pressing it changes nothing more.
    mo.press(old, texts.text("en", "btn_reports_on"))
    assert api_as(mo.id).get(f"/users/{mo.id}").get_json()["wants_reports"] is False
    # /stop leaves the choice alone; a fresh menu shows it and turns reports back on.
    mo.say("/stop")
    fresh = mo.say("/adminmenu")[-1]
    mo.press(fresh, texts.text("en", "btn_reports_off"))
    assert mo.answer["text"] == texts.text("en", "reports_turned_on")
    assert api_as(mo.id).get(f"/users/{mo.id}").get_json()["wants_reports"] is True


def test_subscribers_have_no_reports_switch(player, driver, api_as):
    sub = player(61_040)
    sub.say("/start")
    # The button of a staff menu, as a demoted moderator's old message would carry it.
    markup = InlineKeyboardMarkup().row(InlineKeyboardButton("reports", callback_data="am:reports:off"))
    forged = driver.bot.send_message(sub.id, "old staff menu", reply_markup=markup)
    assert sub.press_data(forged.message_id, "am:reports:off") == []
    assert sub.answer["text"] == texts.text("en", "refused")
    assert api_as(sub.id).get(f"/users/{sub.id}").get_json()["wants_reports"] is True
