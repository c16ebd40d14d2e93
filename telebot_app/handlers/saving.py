"""How a draft leaves the constructor: preview (a test send), save (with version conflicts) and exit."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta

from telebot import TeleBot

from telebot_app import keyboards
from telebot_app.api_client import ApiError, ApiUnavailable
from telebot_app.context import Context
from telebot_app.drafts import message_part
from telebot_app.handlers import constructor, series
from telebot_app.problems import refusal_text
from telebot_app.times import show_time

# A mailing saved to go "now" is scheduled this far ahead and then started at once.
NOW_MARGIN = timedelta(minutes=1)


def _send_test(ctx: Context, draft: dict, done_key: str) -> bool:
    try:
        ctx.api.test_draft(ctx.user_id, ctx.chat_id, message_part(draft))
    except ApiError as exc:
        if exc.status in (403, 429):
            raise
        ctx.answer()
        ctx.reply("test_failed", errors=refusal_text(ctx, exc))
        return False
    ctx.answer(done_key)
    return True


def _preview(ctx: Context, draft: dict) -> None:
    """The mailing sent to the admin exactly as subscribers get it; the menu moves down below it."""
    ctx.reply("preview_intro")
    if _send_test(ctx, draft, "preview_sent"):
        constructor.show_menu(ctx, draft)


def _save_confirm(ctx: Context, draft: dict) -> None:
    ctx.answer()
    ctx.edit(
        ctx.t("save_confirm", name=draft["name"], send_at=constructor.when(ctx, draft)),
        keyboards.constructor_confirm(ctx.t, draft, "btn_yes_save", "saveok"),
    )


def _save(ctx: Context, draft: dict) -> None:
    if draft.get("repeat") and draft.get("mailing_id") is None:
        series.save(ctx, draft)  # a repeating new draft becomes a recurring series
        return
    body = {
        "name": draft["name"],
        "text": draft["text"],
        "buttons": draft.get("buttons") or [],
        "media": draft.get("media"),
    }
    # A draft kept from before audiences has no "segment": saving it leaves the mailing's as it was.
    if "segment" in draft:
        body["segment"] = draft["segment"]
    if "canary" in draft:  # likewise for a draft kept from before canaries
        body["canary"] = draft["canary"]
    if draft.get("send_now"):
        body["send_at"] = (datetime.now(UTC) + NOW_MARGIN).isoformat()
    elif draft.get("send_at") != draft.get("original_send_at") or draft.get("mailing_id") is None:
        body["send_at"] = draft.get("send_at")
    is_new = draft.get("mailing_id") is None
    try:
        if is_new:
            mailing = _create(ctx, draft, body)
        else:
            mailing = ctx.api.update_mailing(ctx.user_id, draft["mailing_id"], draft["version"], body)
    except ApiError as exc:
        ctx.answer()
        _save_refused(ctx, draft, exc)
        return
    # One that needs approval starts only once approved (its approvers are asked by the engine).
    waiting = keyboards.waits_for_approval(mailing)
    now = draft.get("send_now") and not waiting
    if now:
        # If this fails the mailing is due within NOW_MARGIN anyway and the scheduler starts it then.
        with contextlib.suppress(ApiError, ApiUnavailable):
            mailing = ctx.api.control_mailing(ctx.user_id, mailing["id"], "send-now")
    ctx.runtime.drafts.delete(ctx.user_id)
    ctx.clear_state()
    ctx.answer("saved_short")
    key = "saved_now" if now else ("saved" if is_new else "updated")
    shown = ctx.t(
        key,
        name=mailing["name"],
        mailing_id=mailing["id"],
        send_at=show_time(mailing["send_at"], ctx.zone),
    )
    ctx.edit(shown + ("\n" + ctx.t("saved_needs_approval") if waiting else ""))


def _create(ctx: Context, draft: dict, body: dict) -> dict:
    """Create the draft's mailing once, however often Save is pressed or the answer is lost.

    The draft keeps one idempotency key from its first save until it is saved. An earlier save
    whose answer was lost made the mailing already: the same body gets that mailing back; a body
    changed since (the draft was edited, or "now" moved on) changes that mailing instead.
    """
    if not draft.get("save_key"):
        draft["save_key"] = uuid.uuid4().hex
        ctx.runtime.drafts.put(ctx.user_id, draft)
    try:
        return ctx.api.create_mailing(ctx.user_id, body, draft["save_key"])
    except ApiError as exc:
        if exc.code != "idempotency_key_reused" or not isinstance(exc.details, dict):
            raise
        mailing_id = exc.details["mailing_id"]
    current = ctx.api.get_mailing(ctx.user_id, mailing_id)
    # From here on the draft edits that mailing (a refusal below is shown as for any edit).
    draft.update(mailing_id=mailing_id, version=current["version"], original_send_at=current["send_at"])
    draft.pop("save_key")
    ctx.runtime.drafts.put(ctx.user_id, draft)
    return ctx.api.update_mailing(ctx.user_id, mailing_id, current["version"], body)


def _save_refused(ctx: Context, draft: dict, exc: ApiError) -> None:
    if exc.code == "version_conflict":
        details = exc.details if isinstance(exc.details, dict) else {}
        draft["conflict_version"] = details.get("current_version")
        ctx.runtime.drafts.put(ctx.user_id, draft)
        ctx.reply("version_conflict", keyboards.conflict(ctx.t, draft), mailing_id=draft["mailing_id"])
    elif exc.status == 404 and draft.get("mailing_id"):
        ctx.reply("edited_mailing_gone", keyboards.deleted_while_editing(ctx.t, draft))
    elif exc.code == "wrong_status":
        status = exc.details.get("status") if isinstance(exc.details, dict) else None
        ctx.reply(
            "mailing_not_editable_now",
            keyboards.deleted_while_editing(ctx.t, draft),
            status=ctx.t(f"mstatus_{status}") if status else "—",
        )
    elif exc.status in (400, 422):
        ctx.reply("save_invalid", errors=refusal_text(ctx, exc))
        constructor.show_menu(ctx, draft)
    else:
        raise exc


def _overwrite(ctx: Context, draft: dict) -> None:
    if draft.get("conflict_version"):
        draft["version"] = draft.pop("conflict_version")
        ctx.runtime.drafts.put(ctx.user_id, draft)
    _save(ctx, draft)


def _reload(ctx: Context, draft: dict) -> None:
    ctx.answer()
    constructor.open_edit(ctx, draft["mailing_id"], force=True)


def _save_as_new(ctx: Context, draft: dict) -> None:
    draft.update(mailing_id=None, version=None, original_send_at=None)
    draft.pop("conflict_version", None)
    draft.pop("save_key", None)
    ctx.runtime.drafts.put(ctx.user_id, draft)
    constructor.show_menu(ctx, draft, edit=True)


def _exit_confirm(ctx: Context, draft: dict) -> None:
    ctx.answer()
    ctx.edit(ctx.t("exit_confirm"), keyboards.constructor_confirm(ctx.t, draft, "btn_yes_discard", "exitok"))


def _exit(ctx: Context, draft: dict) -> None:
    ctx.runtime.drafts.delete(ctx.user_id)
    ctx.clear_state()
    ctx.answer()
    ctx.edit(ctx.t("draft_discarded"))


def register(bot: TeleBot) -> None:
    """Register the menu's preview, save and exit actions."""
    for action, handler in {
        "preview": _preview,
        "test": _preview,  # the Test button of menus sent before Preview did both
        "save": _save_confirm,
        "saveok": _save,
        "overwrite": _overwrite,
        "reload": _reload,
        "asnew": _save_as_new,
        "exit": _exit_confirm,
        "exitok": _exit,
    }.items():
        constructor.register_menu_action(action, handler)
