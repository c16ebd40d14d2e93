"""The constructor's Canary step: a random sample first (typed as `5% 30 20%`), or none; and the
canary's and a pause's lines on the browser's card."""

from __future__ import annotations

from telebot import TeleBot
from telebot.types import Message

from telebot_app import keyboards
from telebot_app.canary import CanaryUnreadable, describe, parse_canary, pause_words
from telebot_app.context import Context
from telebot_app.handlers import constructor
from telebot_app.handlers.filters import register_answer
from telebot_app.states import Constructor
from telebot_app.texts import Markup
from telebot_app.times import show_time


def ask(ctx: Context, draft: dict) -> None:
    """Menu → Canary: the current one, what it does, and the question (or none, or back)."""
    ctx.answer()
    ctx.set_state(Constructor.canary)
    ctx.edit(
        ctx.t("ask_canary", canary=describe(ctx.t, ctx.lang, draft.get("canary"))),
        keyboards.canary_choice(ctx.t, draft),
    )


def turn_off(ctx: Context, draft: dict) -> None:
    """No canary: everyone at once."""
    draft["canary"] = None
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ctx.answer("canary_set_off")
    constructor.show_menu(ctx, draft, edit=True)


def canary_given(message: Message, ctx: Context) -> None:
    """The typed canary: read it, keep it in the draft; or say which word is wrong and ask again."""
    ctx.require_staff()
    draft = constructor.current_draft(ctx)
    if draft is None:
        return
    try:
        canary = parse_canary(message.text or "")
    except CanaryUnreadable as exc:
        why = Markup(ctx.t("error_line", message=Markup(ctx.t(exc.key, **exc.values))))
        ctx.reply("invalid_answer", errors=why)
        ctx.send(
            ctx.t("ask_canary", canary=describe(ctx.t, ctx.lang, draft.get("canary"))),
            keyboards.canary_choice(ctx.t, draft),
        )
        return
    draft["canary"] = canary
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ctx.reply("canary_line", canary=describe(ctx.t, ctx.lang, canary))
    constructor.show_menu(ctx, draft)


def card_lines(ctx: Context, mailing: dict) -> list[str]:
    """The card's canary and pause lines, by the mailing's state."""
    lines = []
    canary = mailing.get("canary")
    if mailing["status"] == "scheduled" and canary:
        lines.append(ctx.t("canary_line", canary=describe(ctx.t, ctx.lang, canary)))
    if mailing["status"] == "sending" and canary and not mailing.get("canary_passed_at"):
        until = mailing.get("canary_until")
        if until:
            lines.append(ctx.t("canary_waiting", at=show_time(until, ctx.zone)))
        else:
            lines.append(ctx.t("canary_sample_sending"))
    if mailing["status"] == "paused":
        lines.append(ctx.t("pause_line", reason=pause_words(ctx.t, ctx.lang, mailing.get("pause_reason"))))
    return lines


def register(bot: TeleBot) -> None:
    """Register the Canary menu actions and the typed canary."""
    constructor.register_menu_action("can", ask)
    constructor.register_menu_action("canoff", turn_off)
    register_answer(bot, canary_given, Constructor.canary)
