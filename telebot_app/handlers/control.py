"""Send now, pause, resume and cancel: from the browser and from the engine's progress message."""

from telebot import TeleBot
from telebot.types import CallbackQuery

from telebot_app import keyboards
from telebot_app.api_client import ApiError
from telebot_app.context import Context
from telebot_app.handlers.filters import number, prefix

ACTIONS = {"pause": "pause", "resume": "resume", "cancel": "cancel", "now": "send-now"}
DONE_KEYS = {"pause": "ctl_paused", "resume": "ctl_resumed", "cancel": "ctl_cancelled", "now": "ctl_started"}


def run_action(ctx: Context, mailing_id: int, action: str) -> dict | None:
    """Ask the API to pause/resume/cancel/send now; explain a refusal and return None."""
    try:
        mailing = ctx.api.control_mailing(ctx.user_id, mailing_id, ACTIONS[action])
    except ApiError as exc:
        if exc.status == 404:
            ctx.answer("mailing_gone", alert=True)
            return None
        if exc.code == "approval_required":
            ctx.answer("ctl_needs_approval", alert=True)
            return None
        if exc.code == "wrong_status" or exc.status == 409:
            status = (exc.details or {}).get("status") if isinstance(exc.details, dict) else None
            ctx.answer("ctl_wrong_status", alert=True, status=ctx.t(f"mstatus_{status}") if status else "—")
            return None
        raise
    ctx.answer(DONE_KEYS[action])
    return mailing


def progress_pressed(call: CallbackQuery, ctx: Context) -> None:
    """mc:pause|resume|cancel|cancelok:<id>, the engine's progress buttons."""
    ctx.require_staff()
    parts = call.data.split(":")
    mailing_id = number(parts[2]) if len(parts) == 3 else None
    if mailing_id is None or mailing_id < 1 or parts[1] not in {"pause", "resume", "cancel", "cancelok"}:
        ctx.answer("stale_button")
        return
    if parts[1] == "cancel":
        ctx.answer()
        ctx.send(
            ctx.t("ctl_cancel_confirm", mailing_id=mailing_id),
            keyboards.confirm(ctx.t, "btn_yes_stop", f"mc:cancelok:{mailing_id}"),
        )
        return
    action = "cancel" if parts[1] == "cancelok" else parts[1]
    if run_action(ctx, mailing_id, action) is not None and parts[1] == "cancelok":
        ctx.edit(ctx.t("ctl_cancelled"))


def close_pressed(call: CallbackQuery, ctx: Context) -> None:
    """x:close — "No" under a staff question: remove the question."""
    ctx.require_staff()
    ctx.answer()
    ctx.delete_messages([call.message.message_id])


def register(bot: TeleBot) -> None:
    """Register the mailing control buttons."""
    bot.register_callback_query_handler(progress_pressed, func=prefix("mc:"))
    bot.register_callback_query_handler(close_pressed, func=prefix("x:close"))
