"""Two-person approval in the bot: Approve on a mailing's card and on the message that asks for it.

The engine asks the approvers (and reminds them while a due mailing waits) with a card whose buttons
are `ap:ok:<id>:<version>` (approve that version) and `ap:view:<id>` (the mailing as subscribers will
get it); the browser's card has `ml:approve:<id>:<version>:<n>` (browser.py). The API decides who may
approve: anyone on the staff but the author.
"""

import html

from telebot import TeleBot
from telebot.types import CallbackQuery

from telebot_app.api_client import ApiError, ApiUnavailable
from telebot_app.context import Context
from telebot_app.handlers.filters import number, prefix
from telebot_app.problems import refusal_text


def approve(ctx: Context, mailing_id: int, version: int | None) -> dict | None:
    """Ask the API to approve (that version of) the mailing; explain a refusal and return None."""
    try:
        mailing = ctx.api.approve_mailing(ctx.user_id, mailing_id, version)
    except ApiError as exc:
        if exc.status == 404:
            ctx.answer("mailing_gone", alert=True)
            return None
        if exc.code == "forbidden" or exc.status not in (403, 409):
            raise
        # A notice is plain text: the refusal's HTML read back as what it shows.
        ctx.answer("approve_refused", alert=True, why=html.unescape(refusal_text(ctx, exc)))
        return None
    ctx.answer("approve_done_started" if mailing["status"] == "sending" else "approve_done")
    return mailing


def pressed(call: CallbackQuery, ctx: Context) -> None:
    """ap:ok:<id>:<version> approves; ap:view:<id> shows the mailing as subscribers will get it."""
    ctx.require_staff()
    parts = call.data.split(":")
    values = [number(part) for part in parts[2:]]
    action = parts[1] if len(parts) > 1 else ""
    if None in values or not values or values[0] < 1:
        ctx.answer("stale_button")
    elif action == "ok" and len(values) == 2:
        if approve(ctx, values[0], values[1]) is not None and call.message is not None:
            ctx.remove_keyboard(call.message.message_id)
            ctx.reply("approval_card_done")
    elif action == "view" and len(values) == 1:
        _preview(ctx, values[0])
    else:
        ctx.answer("stale_button")


def _preview(ctx: Context, mailing_id: int) -> None:
    try:
        ctx.api.test_mailing(ctx.user_id, ctx.chat_id, mailing_id)
    except ApiUnavailable:
        ctx.answer()
        ctx.reply("preview_failed", message=ctx.t("preview_unavailable"))
        return
    except ApiError as exc:
        if exc.status == 404:
            ctx.answer("mailing_gone", alert=True)
            return
        if exc.status == 403:
            raise
        ctx.answer()
        ctx.reply("preview_failed", message=refusal_text(ctx, exc))
        return
    ctx.answer()


def register(bot: TeleBot) -> None:
    """Register the Approve and Preview buttons of approval messages."""
    bot.register_callback_query_handler(pressed, func=prefix("ap:"))
