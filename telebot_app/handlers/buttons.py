"""The draft's URL buttons: add (label, then link) and manage (move up/down, delete after asking)."""

from telebot import TeleBot
from telebot.types import CallbackQuery, Message

from telebot_app import keyboards
from telebot_app.context import Context
from telebot_app.handlers import constructor
from telebot_app.handlers.filters import number, prefix, register_answer
from telebot_app.problems import problem_lines
from telebot_app.states import Constructor

# Checking a label alone: the rules judge a button as label + link, so a link known to be fine stands in.
PLACEHOLDER_URL = "https://example.com/"


def ask_label(ctx: Context, draft: dict) -> None:
    """Menu: add a button — ask for its label."""
    ctx.answer()
    ctx.set_state(Constructor.button_text)
    ctx.ask(
        "ask_button_text", keyboards.back_to_menu(ctx.t, draft), number=len(draft.get("buttons") or []) + 1
    )


def label_given(message: Message, ctx: Context) -> None:
    """The new button's label."""
    ctx.require_staff()
    draft = constructor.current_draft(ctx)
    if draft is None:
        return
    label = (message.text or "").strip()
    trial = [*(draft.get("buttons") or []), {"text": label, "url": PLACEHOLDER_URL}]
    errors = ctx.api.validate(ctx.user_id, {"buttons": trial})
    if errors.get("buttons"):
        ctx.reply("invalid_answer", errors=problem_lines(ctx, errors["buttons"]))
        ctx.ask("ask_button_text", keyboards.back_to_menu(ctx.t, draft), number=len(trial))
        return
    draft["pending_button"] = label
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ctx.set_state(Constructor.button_url)
    ctx.ask("ask_button_url", keyboards.back_to_menu(ctx.t, draft), text=label)


def url_given(message: Message, ctx: Context) -> None:
    """The new button's link."""
    ctx.require_staff()
    draft = constructor.current_draft(ctx)
    if draft is None:
        return
    label = draft.get("pending_button")
    if not label:
        constructor.show_menu(ctx, draft)
        return
    url = (message.text or "").strip()
    trial = [*(draft.get("buttons") or []), {"text": label, "url": url}]
    errors = ctx.api.validate(ctx.user_id, {"buttons": trial})
    if errors.get("buttons"):
        ctx.reply("invalid_answer", errors=problem_lines(ctx, errors["buttons"]))
        ctx.ask("ask_button_url", keyboards.back_to_menu(ctx.t, draft), text=label)
        return
    draft["buttons"] = trial
    draft["pending_button"] = None
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ctx.reply("button_added", text=label, url=url)
    constructor.show_menu(ctx, draft)


def manage(ctx: Context, draft: dict, page: int = 0) -> None:
    """Menu: manage buttons — the list with up/down/delete."""
    ctx.answer()
    ctx.set_state(Constructor.menu)
    if not draft.get("buttons"):
        constructor.show_menu(ctx, draft, edit=True)
        return
    ctx.edit(
        ctx.t("buttons_manage", count=len(draft["buttons"])), keyboards.manage_buttons(ctx.t, draft, page)
    )


def manage_pressed(call: CallbackQuery, ctx: Context) -> None:
    """cb:<draft id>:up|dn|del|delok|nop|pg:<index> (del asks first, delok deletes)."""
    ctx.require_staff()
    parts = call.data.split(":")
    draft = ctx.runtime.drafts.get(ctx.user_id)
    index = number(parts[3], limit=10**6) if len(parts) == 4 else None
    if index is None or index < 0 or draft is None or draft["id"] != parts[1]:
        ctx.answer("stale_draft", alert=True)
        return
    op = parts[2]
    buttons = draft.get("buttons") or []
    if op == "pg":
        manage(ctx, draft, index)
        return
    if index >= len(buttons):
        ctx.answer("stale_button")
        manage(ctx, draft)
        return
    if op == "nop":
        ctx.answer("button_info", text=buttons[index]["text"], url=buttons[index]["url"])
        return
    if op == "up" and index > 0:
        buttons[index - 1], buttons[index] = buttons[index], buttons[index - 1]
        index -= 1
    elif op == "dn" and index < len(buttons) - 1:
        buttons[index + 1], buttons[index] = buttons[index], buttons[index + 1]
        index += 1
    elif op == "del":
        ctx.answer()
        ctx.edit(
            ctx.t("button_delete_confirm", text=buttons[index]["text"], url=buttons[index]["url"]),
            keyboards.button_delete_confirm(ctx.t, draft, index),
        )
        return
    elif op == "delok":
        buttons.pop(index)
        ctx.answer("button_deleted")
    else:
        ctx.answer("button_at_edge")
        return
    draft["buttons"] = buttons
    ctx.runtime.drafts.put(ctx.user_id, draft)
    manage(ctx, draft, min(index, max(len(buttons) - 1, 0)) // keyboards.BUTTONS_PAGE)


def register(bot: TeleBot) -> None:
    """Register the button questions and the manager's keys."""
    constructor.register_menu_action("addbtn", ask_label)
    constructor.register_menu_action("btns", manage)
    register_answer(bot, label_given, Constructor.button_text)
    register_answer(bot, url_given, Constructor.button_url)
    bot.register_callback_query_handler(manage_pressed, func=prefix("cb:"))
