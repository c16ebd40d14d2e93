"""Scheduled mailings, one per page, each shown as subscribers will see it, with its controls."""

from telebot import TeleBot
from telebot.types import CallbackQuery, Message

from telebot_app import keyboards
from telebot_app.api_client import ApiError, ApiUnavailable
from telebot_app.context import Context
from telebot_app.handlers import constructor
from telebot_app.handlers.audience import audience_text
from telebot_app.handlers.control import run_action
from telebot_app.handlers.filters import number, prefix, register_answer
from telebot_app.problems import refusal_text
from telebot_app.states import Browser
from telebot_app.texts import Markup
from telebot_app.times import show_decimal, show_duration, show_time

# The API pages up to this offset; a forged page number beyond it is the last page.
PAGE_MAX = 10**9


def show_page(ctx: Context, number: int, at_ends: bool = False) -> None:
    """Show the `number`-th mailing (1-based); past an end either refuse (arrows) or clamp."""
    ctx.require_staff()
    if number < 1 and at_ends:
        ctx.answer("browser_first", alert=False)
        return
    number = min(max(number, 1), PAGE_MAX)
    page = ctx.api.list_active(ctx.user_id, offset=number - 1)
    total = page["total"]
    if number > total and total > 0:
        if at_ends:
            ctx.answer("browser_last", alert=False, total=total)
            return
        number = total
        page = ctx.api.list_active(ctx.user_id, offset=number - 1)
        total = page["total"]
    ctx.answer()
    _tidy(ctx)
    if total == 0 or not page["items"]:
        ctx.reply("browser_empty", keyboards.empty_browser(ctx.t))
        return
    mailing = page["items"][0]
    shown = _preview(ctx, mailing)
    control = ctx.send(_control_text(ctx, mailing, number, total), keyboards.browser(ctx.t, mailing, number))
    ctx.runtime.browser.remember(ctx.user_id, [*shown, control.message_id])


def _tidy(ctx: Context) -> None:
    """Remove the previous page (its preview and controls) so paging does not flood the chat."""
    old = ctx.runtime.browser.take(ctx.user_id)
    if ctx.call is not None and ctx.call.message is not None and (ctx.call.data or "").startswith("ml:"):
        old.append(ctx.call.message.message_id)
    ctx.delete_messages(sorted(set(old)))


def _preview(ctx: Context, mailing: dict) -> list[int]:
    # Without its preview the card is still worth showing: the controls work all the same.
    try:
        return ctx.api.test_mailing(ctx.user_id, ctx.chat_id, mailing["id"])
    except ApiUnavailable:
        return [ctx.reply("preview_failed", message=ctx.t("preview_unavailable")).message_id]
    except ApiError as exc:
        if exc.status == 403:
            raise
        return [ctx.reply("preview_failed", message=refusal_text(ctx, exc)).message_id]


def _control_text(ctx: Context, mailing: dict, number: int, total: int) -> str:
    lines = [
        ctx.t(
            "browser_card",
            number=number,
            total=total,
            name=mailing["name"],
            mailing_id=mailing["id"],
            send_at=show_time(mailing["send_at"], ctx.zone),
            status=ctx.t(f"mstatus_{mailing['status']}"),
        )
    ]
    if mailing["status"] == "scheduled":
        lines.append(ctx.t("audience_line", audience=audience_text(ctx, mailing.get("segment"))))
    if mailing["status"] in ("sending", "paused"):
        lines.append(_progress(ctx, mailing["id"]))
    return Markup("\n".join(lines))


def _progress(ctx: Context, mailing_id: int) -> str:
    stats = ctx.api.mailing_stats(ctx.user_id, mailing_id)
    progress = stats.get("progress") or {}
    counts = stats.get("counts") or {}
    done = progress.get("done", sum(v for k, v in counts.items() if k not in ("pending", "sending")))
    eta = progress.get("eta")
    return ctx.t(
        "browser_progress",
        done=done,
        total=stats.get("total", 0),
        rate=show_decimal(float(progress.get("rate") or 0), ctx.lang),
        eta=show_duration(eta) if isinstance(eta, int | float) else "—",
    )


def ask_number(ctx: Context) -> None:
    """Go to #…: ask which one."""
    ctx.require_staff()
    total = ctx.api.list_active(ctx.user_id, offset=0)["total"]
    ctx.answer()
    if total == 0:
        ctx.reply("browser_empty", keyboards.empty_browser(ctx.t))
        return
    ctx.set_state(Browser.goto)
    ctx.reply("browser_ask_number", total=total)


def number_given(message: Message, ctx: Context) -> None:
    """The number to jump to."""
    ctx.require_staff()
    raw = (message.text or "").strip().lstrip("#")
    total = ctx.api.list_active(ctx.user_id, offset=0)["total"]
    wanted = number(raw)
    if wanted is None:
        ctx.reply("browser_not_a_number", total=total)
        return
    if not 1 <= wanted <= total:
        ctx.reply("browser_out_of_range", total=total)
        return
    ctx.clear_state()
    show_page(ctx, wanted)


def pressed(call: CallbackQuery, ctx: Context) -> None:
    """ml:p:<n>, ml:goto, ml:edit|editf:<id>, ml:del|delok|now|nowok|pause|resume|cancel|cancelok:<id>:<n>."""
    ctx.require_staff()
    parts = call.data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    values = [number(part) for part in parts[2:]]
    if None in values:
        ctx.answer("stale_button")
        return
    if action == "p" and len(values) == 1:
        show_page(ctx, values[0], at_ends=True)
    elif action == "goto" and not values:
        ask_number(ctx)
    elif action in ("edit", "editf") and len(values) == 1:
        ctx.answer()
        constructor.open_edit(ctx, values[0], force=action == "editf")
    elif action in ("del", "now", "cancel") and len(values) == 2:
        _confirm(ctx, action, *values)
    elif action == "delok" and len(values) == 2:
        _delete(ctx, *values)
    elif action in ("nowok", "pause", "resume", "cancelok") and len(values) == 2:
        verb = {"nowok": "now", "cancelok": "cancel"}.get(action, action)
        if run_action(ctx, values[0], verb) is not None:
            show_page(ctx, values[1])
    else:
        ctx.answer("stale_button")


def _confirm(ctx: Context, action: str, mailing_id: int, number: int) -> None:
    try:
        mailing = ctx.api.get_mailing(ctx.user_id, mailing_id)
    except ApiError as exc:
        if exc.status != 404:
            raise
        ctx.answer("mailing_gone", alert=True)
        show_page(ctx, number)
        return
    ctx.answer()
    question, yes_key, yes_action = {
        "del": ("browser_delete_confirm", "btn_yes_delete", "delok"),
        "now": ("browser_send_now_confirm", "btn_yes_send", "nowok"),
        "cancel": ("ctl_cancel_confirm", "btn_yes_stop", "cancelok"),
    }[action]
    ctx.edit(
        ctx.t(question, name=mailing["name"], mailing_id=mailing_id),
        keyboards.confirm(ctx.t, yes_key, f"ml:{yes_action}:{mailing_id}:{number}", f"ml:p:{number}"),
    )


def _delete(ctx: Context, mailing_id: int, number: int) -> None:
    try:
        ctx.api.delete_mailing(ctx.user_id, mailing_id)
    except ApiError as exc:
        if exc.status == 404:
            ctx.answer("mailing_gone", alert=True)
        elif exc.code == "wrong_status":
            ctx.answer("browser_cannot_delete", alert=True)
        else:
            raise
    else:
        ctx.answer("browser_deleted")
    show_page(ctx, number)


def register(bot: TeleBot) -> None:
    """Register the browser's buttons and its number question."""
    register_answer(bot, number_given, Browser.goto)
    bot.register_callback_query_handler(pressed, func=prefix("ml:"))
