"""Invite links (admins): the list with whom each brought, and a new link named in the chat."""

from __future__ import annotations

from telebot import TeleBot, util
from telebot.types import CallbackQuery, Message

from telebot_app import keyboards
from telebot_app.api_client import ApiError
from telebot_app.context import Context
from telebot_app.handlers.filters import prefix, register_answer
from telebot_app.problems import refusal_text
from telebot_app.states import InviteLinks
from telebot_app.times import show_count

# The list must stay within Telegram's 4096 characters: the newest links are shown.
LINKS_SHOWN = 20
# Characters people send for a message that looks empty (Telegram refuses a message of spaces only).
INVISIBLE = frozenset("\u2800\u200b\u200c\u200d\u2060\ufeff\u3164")


def link_url(ctx: Context, source: str) -> str:
    """The link to share: the bot's t.me address with the source as its /start payload."""
    return f"https://t.me/{ctx.bot.user.username}?start={source}"


def show_links(ctx: Context) -> None:
    """The invite links, newest first, each with its address and whom it brought."""
    ctx.require_admin()
    links = ctx.api.list_invite_links(ctx.user_id)
    ctx.answer()
    if not links:
        ctx.reply("invite_links_none", keyboards.invite_links(ctx.t))
        return
    parts = [ctx.t("invite_links_title", count=len(links))]
    parts += [
        ctx.t(
            "invite_link_line",
            name=link["name"],
            url=link_url(ctx, link["source"]),
            brought=show_count(link["brought"], ctx.lang),
            active=show_count(link["active"], ctx.lang),
        )
        for link in links[:LINKS_SHOWN]
    ]
    if len(links) > LINKS_SHOWN:
        parts.append(ctx.t("invite_links_more", count=len(links) - LINKS_SHOWN))
    ctx.send("\n\n".join(parts), keyboards.invite_links(ctx.t))


def ask_name(ctx: Context) -> None:
    """New link: ask for its name."""
    ctx.require_admin()
    ctx.answer()
    ctx.set_state(InviteLinks.name)
    ctx.reply("ask_link_name")


def name_given(message: Message, ctx: Context) -> None:
    """The new link's name: make the link and show it; a refusal is told and the name asked again."""
    ctx.require_admin()
    name = (message.text or "").strip()
    if all(character.isspace() or character in INVISIBLE for character in name):
        ctx.reply("link_name_blank")
        return
    try:
        link = ctx.api.create_invite_link(ctx.user_id, name)
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        ctx.reply("link_refused", errors=refusal_text(ctx, exc))
        return
    ctx.clear_state()
    ctx.reply("link_created", name=link["name"], url=link_url(ctx, link["source"]))


def not_a_name(message: Message, ctx: Context) -> None:
    """A file or sticker where the name was asked for."""
    ctx.require_admin()
    ctx.reply("send_text_please")


def pressed(call: CallbackQuery, ctx: Context) -> None:
    """il:new."""
    if call.data == "il:new":
        ask_name(ctx)
    else:
        ctx.answer("stale_button")


def register(bot: TeleBot) -> None:
    """Register the New link button and the name question."""
    register_answer(bot, name_given, InviteLinks.name)
    bot.register_message_handler(
        not_a_name,
        state=InviteLinks.name,
        content_types=[kind for kind in util.content_type_media if kind != "text"],
        chat_types=["private"],
    )
    bot.register_callback_query_handler(pressed, func=prefix("il:"))
