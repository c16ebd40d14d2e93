"""/adminmenu: roles, invite links and tags (admins); scheduled mailings, a new mailing and one's reports
(all staff)."""

from telebot import TeleBot
from telebot.types import CallbackQuery, Message

from telebot_app import keyboards
from telebot_app.context import Context
from telebot_app.handlers import browser, constructor, invite_links, roles, tagging
from telebot_app.handlers.filters import prefix


def admin_menu(message: Message, ctx: Context) -> None:
    """Show the menu this role may use."""
    ctx.require_staff()
    ctx.clear_state()
    me = ctx.api.get_user(ctx.user_id, ctx.user_id)
    ctx.reply("admin_menu", keyboards.staff_menu(ctx.t, me["role"], me["wants_reports"]))


def switch_reports(ctx: Context, wants: bool) -> None:
    """Turn the acting staff member's mailing reports on or off and show the menu with the new state."""
    me = ctx.api.set_reports(ctx.user_id, wants)
    ctx.answer("reports_turned_on" if me["wants_reports"] else "reports_turned_off")
    ctx.edit(ctx.t("admin_menu"), keyboards.staff_menu(ctx.t, me["role"], me["wants_reports"]))


def menu_pressed(call: CallbackQuery, ctx: Context) -> None:
    """am:roles, am:links, am:tags, am:list, am:sent, am:new, am:reports:on, am:reports:off."""
    ctx.require_staff()
    action = call.data.split(":", 1)[1]
    if action == "roles":
        roles.ask_target(ctx)
    elif action == "links":
        invite_links.show_links(ctx)
    elif action == "tags":
        tagging.ask_file(ctx)
    elif action == "list":
        browser.show_page(ctx, 1)
    elif action == "sent":
        browser.show_page(ctx, 1, view=browser.SENT)
    elif action == "new":
        constructor.begin(ctx)
    elif action in ("reports:on", "reports:off"):
        switch_reports(ctx, action == "reports:on")
    else:
        ctx.answer("stale_button")


def register(bot: TeleBot) -> None:
    """Register /adminmenu and its buttons."""
    bot.register_message_handler(admin_menu, commands=["adminmenu"], chat_types=["private"])
    bot.register_callback_query_handler(menu_pressed, func=prefix("am:"))
