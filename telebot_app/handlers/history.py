"""Sent mailings in the browser: their figures, sending the unknown or failed deliveries again, the CSV of
whom they did not reach; and a copy of any mailing opened in the constructor."""

from __future__ import annotations

import io

from telebot.types import InputFile

from telebot_app import keyboards
from telebot_app.api_client import ApiError
from telebot_app.context import Context
from telebot_app.drafts import draft_copy_of
from telebot_app.handlers import constructor
from telebot_app.times import show_count, show_decimal, show_duration, show_time

SENT_STATUSES = ("finished", "cancelled")
# The card's retry buttons: which deliveries each sends again.
RETRIED = {"ru": "unknown", "rf": "failed"}
# Telegram takes a document a bot uploads up to 50 MB (decimal, the safer reading).
UPLOAD_LIMIT = 50_000_000
CLICKS_SHOWN = 10  # buttons listed on the card; the total counts them all
LABEL_SHOWN = 40


def figures(ctx: Context, mailing: dict) -> list[str]:
    """A sent card's lines: sent, blocked, failed, unknown (and cancelled), duration, average rate, clicks."""
    stats = mailing.get("stats") or {}
    counts = stats.get("counts") or {}

    def count(status: str) -> str:
        return show_count(int(counts.get(status) or 0), ctx.lang)

    lines = [
        ctx.t(
            "history_counts",
            sent=count("sent"),
            blocked=count("blocked"),
            failed=count("failed"),
            unknown=count("unknown"),
        )
    ]
    if counts.get("cancelled"):
        lines.append(ctx.t("history_cancelled", count=count("cancelled")))
    progress = stats.get("progress") or {}
    elapsed = progress.get("elapsed")
    if mailing.get("started_at") and isinstance(elapsed, int | float):
        rate = show_decimal(float(progress.get("rate") or 0), ctx.lang)
        lines.append(ctx.t("history_speed", duration=show_duration(elapsed), rate=rate))
    lines += _clicks(ctx, stats.get("clicks"))
    if stats.get("deliveries_pruned_at"):
        lines.append(ctx.t("history_pruned", at=show_time(stats["deliveries_pruned_at"], ctx.zone)))
    return lines


def _clicks(ctx: Context, clicks: dict | None) -> list[str]:
    """Each counted button's clicks and share of those sent to; nothing when clicks are not counted."""
    if not isinstance(clicks, dict):
        return []
    buttons = [b for b in clicks.get("buttons") or [] if isinstance(b, dict)]
    lines = [ctx.t("history_clicks", total=show_count(int(clicks.get("total") or 0), ctx.lang))]
    for button in buttons[:CLICKS_SHOWN]:
        label = str(button.get("text") or "")
        label = label if len(label) <= LABEL_SHOWN else label[: LABEL_SHOWN - 1] + "…"
        share = show_decimal(100 * float(button.get("rate") or 0), ctx.lang)
        lines.append(
            ctx.t(
                "history_click_line",
                number=int(button.get("position") or 0) + 1,
                text=label,
                clicks=show_count(int(button.get("clicks") or 0), ctx.lang),
                share=share,
            )
        )
    if len(buttons) > CLICKS_SHOWN:
        lines.append(ctx.t("menu_more_buttons", count=len(buttons) - CLICKS_SHOWN))
    return lines


# Sending again
def confirm_retry(ctx: Context, action: str, mailing_id: int, number: int) -> bool:
    """Ask before sending the unknown (or failed) deliveries again; False when the mailing is gone."""
    try:
        mailing = ctx.api.get_mailing(ctx.user_id, mailing_id)
        counts = ctx.api.mailing_stats(ctx.user_id, mailing_id).get("counts") or {}
    except ApiError as exc:
        if exc.status != 404:
            raise
        ctx.answer("mailing_gone", alert=True)
        return False
    ctx.answer()
    status = RETRIED[action]
    ctx.edit(
        ctx.t(
            f"history_retry_{status}_confirm",
            name=mailing["name"],
            mailing_id=mailing_id,
            count=show_count(int(counts.get(status) or 0), ctx.lang),
        ),
        keyboards.confirm(
            ctx.t, "btn_yes_send_again", f"mh:{action}ok:{mailing_id}:{number}", f"mh:p:{number}"
        ),
    )
    return True


def retry(ctx: Context, action: str, mailing_id: int) -> None:
    """Send the unknown (or failed) deliveries again; a refusal is told in words."""
    status = RETRIED[action]
    try:
        result = ctx.api.retry_mailing(ctx.user_id, mailing_id, [status])
    except ApiError as exc:
        if exc.status == 404:
            ctx.answer("mailing_gone", alert=True)
        elif exc.code == "deliveries_pruned":
            ctx.answer("history_pruned_no_retry", alert=True)
        elif exc.code == "wrong_status":
            details = exc.details if isinstance(exc.details, dict) else {}
            shown = ctx.t(f"mstatus_{details['status']}") if details.get("status") else "—"
            ctx.answer("history_cannot_retry", alert=True, status=shown)
        else:
            raise
        return
    requeued = int(result.get("requeued") or 0)
    if requeued == 0:
        ctx.answer(f"history_nothing_{status}", alert=True)
        return
    ctx.answer("history_retry_started")
    ctx.reply("history_retrying", name=result["mailing"]["name"], count=show_count(requeued, ctx.lang))


# The CSV of whom it did not reach
def send_csv(ctx: Context, mailing_id: int) -> None:
    """Send the CSV of the recipients not reached (with the reasons) as a document in this chat."""
    try:
        mailing = ctx.api.get_mailing(ctx.user_id, mailing_id)
        content = ctx.api.not_reached_csv(ctx.user_id, mailing_id, UPLOAD_LIMIT)
    except ApiError as exc:
        if exc.status == 404:
            ctx.answer("mailing_gone", alert=True)
        elif exc.code == "deliveries_pruned":
            ctx.answer("history_pruned_no_csv", alert=True)
        else:
            raise
        return
    if content is None:
        ctx.answer()
        ctx.reply("history_csv_too_large", path=f"/api/v1/mailings/{mailing_id}/not-reached")
        return
    if content.count(b"\n") <= 1:  # the header alone
        ctx.answer("history_csv_empty", alert=True)
        return
    ctx.answer()
    document = InputFile(io.BytesIO(content), file_name=f"mailing-{mailing_id}-not-reached.csv")
    caption = ctx.t("history_csv_caption", name=mailing["name"], mailing_id=mailing_id)
    ctx.bot.send_document(ctx.chat_id, document, caption=caption, parse_mode="HTML")


# A copy in the constructor
def open_copy(ctx: Context, mailing_id: int, force: bool = False) -> None:
    """A new draft with the mailing's content, audience and buttons; the admin gives its time and saves.

    A different unfinished draft is kept until the admin agrees to drop it.
    """
    ctx.require_staff()
    kept = ctx.runtime.drafts.get(ctx.user_id)
    if kept is not None and not force:
        ctx.answer()
        ctx.reply(
            "draft_replace_copy_confirm",
            keyboards.confirm(ctx.t, "btn_yes_discard", f"mh:dupf:{mailing_id}"),
            name=kept.get("name") or "—",
        )
        return
    try:
        mailing = ctx.api.get_mailing(ctx.user_id, mailing_id)
    except ApiError as exc:
        if exc.status != 404:
            raise
        ctx.answer("mailing_gone", alert=True)
        return
    ctx.answer("history_copy_made")
    draft = draft_copy_of(mailing)
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ctx.reply("history_copy_opened", name=mailing["name"], mailing_id=mailing_id)
    constructor.ask_next(ctx, draft)
