"""Changing a user's role: by Telegram id or a forwarded message, shown, chosen, confirmed, then told."""

from telebot import TeleBot, util
from telebot.types import CallbackQuery, Message

from telebot_app import keyboards
from telebot_app.api_client import ApiError
from telebot_app.context import Context
from telebot_app.handlers.filters import ID_MAX, number, prefix, register_answer
from telebot_app.states import RoleChange


def ask_target(ctx: Context) -> None:
    """Ask whose role to change."""
    ctx.require_admin()
    ctx.answer()
    ctx.set_state(RoleChange.target)
    ctx.reply("role_ask_target")


def _forwarded_user_id(message: Message) -> int | None:
    origin = getattr(message, "forward_origin", None)
    sender = getattr(origin, "sender_user", None)
    if sender is not None:
        return sender.id
    forwarded = getattr(message, "forward_from", None)
    return forwarded.id if forwarded is not None else None


def target_given(message: Message, ctx: Context) -> None:
    """An id or a forwarded message names the user: show them with the roles to choose from."""
    ctx.require_admin()
    if getattr(message, "forward_origin", None) is not None or getattr(message, "forward_date", None):
        tg_id = _forwarded_user_id(message)
        if tg_id is None:
            ctx.reply("role_forward_hidden")
            return
    else:
        tg_id = number((message.text or "").strip())
        if tg_id is None or not 0 < tg_id <= ID_MAX:
            ctx.reply("role_not_a_number")
            return
    try:
        user = ctx.api.get_user(ctx.user_id, tg_id)
    except ApiError as exc:
        if exc.status != 404:
            raise
        ctx.reply("role_unknown_user", tg_id=tg_id)
        return
    ctx.clear_state()
    ctx.send(
        _describe(ctx, user) + "\n\n" + ctx.t("role_choose"),
        keyboards.role_choice(ctx.t, tg_id, user["role"]),
    )


def _describe(ctx: Context, user: dict) -> str:
    name = " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part) or "—"
    username = f"@{user['username']}" if user.get("username") else "—"
    return ctx.t(
        "role_user_card",
        name=name,
        username=username,
        tg_id=user["tg_id"],
        role=ctx.t(f"role_{user['role']}"),
        status=ctx.t(f"status_{user['status']}"),
    )


def role_pressed(call: CallbackQuery, ctx: Context) -> None:
    """rl:set asks to confirm, rl:ok changes the role, rl:no drops it."""
    ctx.require_admin()
    parts = call.data.split(":")
    if parts[1] == "no":
        ctx.answer()
        ctx.edit(ctx.t("role_change_dropped"))
        return
    tg_id = number(parts[2]) if len(parts) == 4 else None
    if tg_id is None or tg_id < 1 or parts[3] not in keyboards.ROLES:
        ctx.answer("stale_button")
        return
    role = parts[3]
    if parts[1] == "set":
        ctx.answer()
        ctx.edit(
            ctx.t("role_confirm", tg_id=tg_id, role=ctx.t(f"role_as_{role}")),
            keyboards.confirm(ctx.t, "btn_yes_change", f"rl:ok:{tg_id}:{role}", "rl:no"),
        )
        return
    try:
        # The API queues the user's notice and new command menu (telebot_app.notices tells them).
        user = ctx.api.change_role(ctx.user_id, tg_id, role)
    except ApiError as exc:
        if exc.code == "last_admin":
            ctx.answer()
            ctx.edit(ctx.t("role_last_admin"))
            return
        if exc.status == 404:
            ctx.answer()
            ctx.edit(ctx.t("role_unknown_user", tg_id=tg_id))
            return
        raise
    ctx.answer("role_done_short")
    ctx.edit(_describe(ctx, user) + "\n\n" + ctx.t("role_done", role=ctx.t(f"role_{user['role']}")))


def register(bot: TeleBot) -> None:
    """Register the role dialog."""
    register_answer(bot, target_given, RoleChange.target, util.content_type_media)
    bot.register_callback_query_handler(role_pressed, func=prefix("rl:"))
