"""Who gets a mailing: the constructor's Audience step (everyone, or tags and language typed in one
message) and the audience line with its live count."""

from __future__ import annotations

from telebot import TeleBot
from telebot.types import Message

from telebot_app import keyboards
from telebot_app.api_client import ApiError, ApiUnavailable
from telebot_app.context import Context
from telebot_app.handlers import constructor
from telebot_app.handlers.filters import register_answer
from telebot_app.problems import refusal_text
from telebot_app.segments import SegmentUnreadable, describe, parse_segment
from telebot_app.states import Constructor
from telebot_app.texts import Markup
from telebot_app.times import show_count, show_time


def who(ctx: Context, segment: dict | None) -> str:
    """The segment in words ("language ru, tag vip"; "everyone" for none)."""
    return describe(ctx.t, segment, lambda moment: show_time(moment, ctx.zone))


def sized(ctx: Context, audience: dict) -> str:
    """An answer of the audience count as the admin reads it: "to 1,240 of 5,310 — tag vip"."""
    total = show_count(audience["total"], ctx.lang)
    if not audience.get("segment"):
        return ctx.t("audience_everyone", escape=False, total=total)
    count = show_count(audience["count"], ctx.lang)
    return ctx.t("audience_some", escape=False, count=count, total=total, who=who(ctx, audience["segment"]))


def audience_text(ctx: Context, segment: dict | None) -> str:
    """The segment with how many it takes now; only in words when the count cannot be had."""
    try:
        return sized(ctx, ctx.api.audience(ctx.user_id, segment))
    except ApiUnavailable:
        return who(ctx, segment)
    except ApiError as exc:
        if exc.status in (403, 429):
            raise
        return who(ctx, segment)


def show_choice(ctx: Context, draft: dict) -> None:
    """Menu → Audience: the current one with its count, and the choice of everyone or a pick."""
    ctx.answer()
    ctx.set_state(Constructor.menu)
    ctx.edit(
        ctx.t("audience_choice", audience=audience_text(ctx, draft.get("segment"))),
        keyboards.audience_choice(ctx.t, draft),
    )


def everyone(ctx: Context, draft: dict) -> None:
    """The mailing goes to every active subscriber."""
    draft["segment"] = None
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ctx.answer("audience_set_everyone")
    constructor.show_menu(ctx, draft, edit=True)


def ask_segment(ctx: Context, draft: dict) -> None:
    """Pick: ask for tags and a language in one message."""
    ctx.answer()
    ctx.set_state(Constructor.audience)
    ctx.ask("ask_segment", keyboards.back_to_menu(ctx.t, draft))


def segment_given(message: Message, ctx: Context) -> None:
    """The typed audience: read it, count it through the API, keep it in the draft."""
    ctx.require_staff()
    draft = constructor.current_draft(ctx)
    if draft is None:
        return
    try:
        segment = parse_segment(message.text or "")
    except SegmentUnreadable as exc:
        _ask_again(ctx, draft, Markup(ctx.t("error_line", message=Markup(ctx.t(exc.key, **exc.values)))))
        return
    try:
        audience = ctx.api.audience(ctx.user_id, segment)
    except ApiError as exc:
        if exc.status not in (400, 422):
            raise
        _ask_again(ctx, draft, refusal_text(ctx, exc))
        return
    draft["segment"] = audience["segment"]
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ctx.reply("audience_line", audience=sized(ctx, audience))
    constructor.show_menu(ctx, draft)


def _ask_again(ctx: Context, draft: dict, why: Markup) -> None:
    ctx.reply("invalid_answer", errors=why)
    ctx.ask("ask_segment", keyboards.back_to_menu(ctx.t, draft))


def register(bot: TeleBot) -> None:
    """Register the Audience menu actions and the typed audience."""
    constructor.register_menu_action("aud", show_choice)
    constructor.register_menu_action("audall", everyone)
    constructor.register_menu_action("audpick", ask_segment)
    register_answer(bot, segment_given, Constructor.audience)
