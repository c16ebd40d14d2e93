"""The mailing browser: one mailing per page, shown as subscribers will see it, then its card and controls.

Two views page through it: *Scheduled* (scheduled, sending, paused; soonest first, callback data `ml:…`)
and *Sent* (finished and cancelled; latest first, `mh:…`). A card is the header (number, name, time,
status) and the lines of the mailing's state (`card_lines`); its buttons come from keyboards.browser.
"""

from dataclasses import dataclass

from telebot import TeleBot
from telebot.types import CallbackQuery, Message

from telebot_app import keyboards
from telebot_app.api_client import ACTIVE_STATUSES, ApiError, ApiUnavailable
from telebot_app.context import Context
from telebot_app.handlers import canary, constructor, history
from telebot_app.handlers.approval import approve
from telebot_app.handlers.audience import audience_text
from telebot_app.handlers.control import run_action
from telebot_app.handlers.filters import number, prefix, register_answer
from telebot_app.problems import refusal_text
from telebot_app.states import Browser
from telebot_app.texts import Markup
from telebot_app.times import show_decimal, show_duration, show_time

# The API pages up to this offset; a forged page number beyond it is the last page.
PAGE_MAX = 10**9
# Mailings whose card shows figures from /stats (progress, or the sent card's counts).
WITH_STATS = ("sending", "paused", *history.SENT_STATUSES)


@dataclass(frozen=True)
class View:
    """One list of the browser: which mailings, in which order, under which callback prefix."""

    prefix: str
    statuses: tuple[str, ...]
    order: str
    empty_key: str
    goto_state: object


SCHEDULED = View("ml", ACTIVE_STATUSES, "send_at", "browser_empty", Browser.goto)
SENT = View("mh", history.SENT_STATUSES, "-send_at", "history_empty", Browser.goto_sent)
VIEWS = {view.prefix: view for view in (SCHEDULED, SENT)}


def _page(ctx: Context, view: View, number: int) -> dict:
    return ctx.api.list_mailings(ctx.user_id, view.statuses, view.order, offset=number - 1)


def show_page(ctx: Context, number: int, at_ends: bool = False, view: View = SCHEDULED) -> None:
    """Show the `number`-th mailing (1-based) of `view`; past an end either refuse (arrows) or clamp."""
    ctx.require_staff()
    if number < 1 and at_ends:
        ctx.answer("browser_first", alert=False)
        return
    number = min(max(number, 1), PAGE_MAX)
    page = _page(ctx, view, number)
    total = page["total"]
    if number > total and total > 0:
        if at_ends:
            ctx.answer("browser_last", alert=False, total=total)
            return
        number = total
        page = _page(ctx, view, number)
        total = page["total"]
    ctx.answer()
    _tidy(ctx)
    if total == 0 or not page["items"]:
        ctx.reply(view.empty_key, keyboards.empty_browser(ctx.t, view.prefix))
        return
    mailing = page["items"][0]
    shown = _preview(ctx, mailing)
    if mailing["status"] in WITH_STATS:
        # Read once for the card's lines and its buttons (retry only what there is).
        mailing["stats"] = ctx.api.mailing_stats(ctx.user_id, mailing["id"])
    control = ctx.send(
        _control_text(ctx, mailing, number, total),
        keyboards.browser(ctx.t, mailing, number, viewer=ctx.user_id),
    )
    ctx.runtime.browser.remember(ctx.user_id, [*shown, control.message_id])


def _tidy(ctx: Context) -> None:
    """Remove the previous page (its preview and controls) so paging does not flood the chat."""
    old = ctx.runtime.browser.take(ctx.user_id)
    here = tuple(f"{name}:" for name in VIEWS)
    if ctx.call is not None and ctx.call.message is not None and (ctx.call.data or "").startswith(here):
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
    if mailing.get("series_id"):
        lines.append(ctx.t("series_run_line", series_id=mailing["series_id"]))
    lines.extend(card_lines(ctx, mailing))
    return Markup("\n".join(lines))


def card_lines(ctx: Context, mailing: dict) -> list[str]:
    """The card's lines under its header, by the mailing's state."""
    lines = []
    if mailing["status"] == "scheduled":
        lines.append(ctx.t("audience_line", audience=audience_text(ctx, mailing.get("segment"))))
        lines.extend(approval_lines(ctx, mailing))
    if mailing["status"] in ("sending", "paused"):
        lines.append(_progress(ctx, mailing))
    lines.extend(canary.card_lines(ctx, mailing))
    if mailing["status"] in history.SENT_STATUSES:
        lines.extend(history.figures(ctx, mailing))
    return lines


def approval_lines(ctx: Context, mailing: dict) -> list[str]:
    """The card's approval state: waiting for it, or who approved it and when; nothing if not needed."""
    approval = mailing.get("approval") or {}
    if not approval.get("required"):
        return []
    if not approval.get("approved_at"):
        return [ctx.t("approval_waiting")]
    at = show_time(approval["approved_at"], ctx.zone)
    who = approval.get("approved_by")
    if who == ctx.user_id:
        return [ctx.t("approval_given_by_you", at=at)]
    return [ctx.t("approval_given", who=who or ctx.t("approval_by_client"), at=at)]


def _progress(ctx: Context, mailing: dict) -> str:
    stats = mailing.get("stats") or ctx.api.mailing_stats(ctx.user_id, mailing["id"])
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


def ask_number(ctx: Context, view: View = SCHEDULED) -> None:
    """Go to #…: ask which one."""
    ctx.require_staff()
    total = _page(ctx, view, 1)["total"]
    ctx.answer()
    if total == 0:
        ctx.reply(view.empty_key, keyboards.empty_browser(ctx.t, view.prefix))
        return
    ctx.set_state(view.goto_state)
    ctx.reply("browser_ask_number", total=total)


def number_given(message: Message, ctx: Context) -> None:
    """The number to jump to in the Scheduled view."""
    _jump(message, ctx, SCHEDULED)


def sent_number_given(message: Message, ctx: Context) -> None:
    """The number to jump to in the Sent view."""
    _jump(message, ctx, SENT)


def _jump(message: Message, ctx: Context, view: View) -> None:
    ctx.require_staff()
    raw = (message.text or "").strip().lstrip("#")
    total = _page(ctx, view, 1)["total"]
    wanted = number(raw)
    if wanted is None:
        ctx.reply("browser_not_a_number", total=total)
        return
    if not 1 <= wanted <= total:
        ctx.reply("browser_out_of_range", total=total)
        return
    ctx.clear_state()
    show_page(ctx, wanted, view=view)


def pressed(call: CallbackQuery, ctx: Context) -> None:
    """<view>:p:<n>, <view>:goto, <view>:dup|dupf:<id> in either view (ml: Scheduled, mh: Sent);
    ml:edit|editf:<id>, ml:del|delok|now|nowok|pause|resume|cancel|cancelok:<id>:<n>,
    ml:approve:<id>:<version>:<n>; mh:… as `_sent_pressed` says."""
    ctx.require_staff()
    parts = call.data.split(":")
    view = VIEWS.get(parts[0])
    action = parts[1] if len(parts) > 1 else ""
    values = [number(part) for part in parts[2:]]
    if None in values or view is None:
        ctx.answer("stale_button")
        return
    if action == "p" and len(values) == 1:
        show_page(ctx, values[0], at_ends=True, view=view)
    elif action == "goto" and not values:
        ask_number(ctx, view)
    elif action in ("dup", "dupf") and len(values) == 1:
        history.open_copy(ctx, values[0], force=action == "dupf")
    elif view is SENT:
        _sent_pressed(ctx, action, values)
    elif action in ("edit", "editf") and len(values) == 1:
        ctx.answer()
        constructor.open_edit(ctx, values[0], force=action == "editf")
    elif action in ("del", "now", "cancel") and len(values) == 2:
        _confirm(ctx, action, *values)
    elif action == "delok" and len(values) == 2:
        _delete(ctx, *values)
    elif action == "approve" and len(values) == 3:
        approve(ctx, values[0], values[1])
        show_page(ctx, values[2])  # the card as it is now, approved or not
    elif action in ("nowok", "pause", "resume", "cancelok") and len(values) == 2:
        verb = {"nowok": "now", "cancelok": "cancel"}.get(action, action)
        if run_action(ctx, values[0], verb) is not None:
            show_page(ctx, values[1])
    else:
        ctx.answer("stale_button")


def _sent_pressed(ctx: Context, action: str, values: list[int]) -> None:
    """mh:ru|rf:<id>:<n> ask before sending the unknown|failed again, mh:ruok|rfok:<id>:<n> do it;
    mh:csv:<id> sends the CSV of whom it did not reach."""
    if action in history.RETRIED and len(values) == 2:
        if not history.confirm_retry(ctx, action, *values):
            show_page(ctx, values[1], view=SENT)
    elif action.endswith("ok") and action[:-2] in history.RETRIED and len(values) == 2:
        history.retry(ctx, action[:-2], values[0])
        show_page(ctx, values[1], view=SENT)  # sent again, it is under Scheduled while it sends
    elif action == "csv" and len(values) == 1:
        history.send_csv(ctx, values[0])
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
    """Register the browser's buttons (both views) and its number questions."""
    register_answer(bot, number_given, Browser.goto)
    register_answer(bot, sent_number_given, Browser.goto_sent)
    bot.register_callback_query_handler(pressed, func=prefix(*(f"{view}:" for view in VIEWS)))
