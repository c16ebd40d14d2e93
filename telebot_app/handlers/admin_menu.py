"""/adminmenu: change roles (admins), scheduled mailings and a new mailing (admins and moderators)."""

from telebot import TeleBot
from telebot.types import CallbackQuery, Message

from telebot_app import keyboards
from telebot_app.context import Context
from telebot_app.handlers import browser, constructor, roles
from telebot_app.handlers.filters import prefix


def admin_menu(message: Message, ctx: Context) -> None:
    """Show the menu this role may use."""
    ctx.require_staff()
    ctx.clear_state()
    ctx.reply("admin_menu", keyboards.admin_menu(ctx.t, ctx.role()))


def menu_pressed(call: CallbackQuery, ctx: Context) -> None:
    """am:roles, am:list, am:new."""
    ctx.require_staff()
    action = call.data.split(":", 1)[1]
    if action == "roles":
        roles.ask_target(ctx)
    elif action == "list":
        browser.show_page(ctx, 1)
    elif action == "new":
        constructor.begin(ctx)
    else:
        ctx.answer("stale_button")


def register(bot: TeleBot) -> None:
    """Register /adminmenu and its buttons."""
    bot.register_message_handler(admin_menu, commands=["adminmenu"], chat_types=["private"])
    bot.register_callback_query_handler(menu_pressed, func=prefix("am:"))
