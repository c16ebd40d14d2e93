"""/newmailing: name → text → time, then the menu: preview, test, save, exit; editing reuses it."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from telebot import TeleBot, util
from telebot.types import CallbackQuery, Message

from telebot_app import keyboards
from telebot_app.api_client import ApiError
from telebot_app.canary import describe as describe_canary
from telebot_app.context import Context
from telebot_app.drafts import draft_from_mailing, has_schedule, new_draft
from telebot_app.handlers.filters import prefix, register_answer
from telebot_app.problems import field_lines, problem_lines, problem_text
from telebot_app.segments import describe
from telebot_app.states import Constructor
from telebot_app.texts import Markup
from telebot_app.times import NotATime, parse_send_time, show_time

# The summary must stay within Telegram's 4096 characters whatever the draft holds.
TEXT_SHOWN = 300
BUTTONS_SHOWN = 15
URL_SHOWN = 80
FORMATTING_ENTITIES = frozenset(
    {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "blockquote",
        "expandable_blockquote",
        "custom_emoji",
    }
)


# Entering and leaving
def begin(ctx: Context) -> None:
    """Start composing; a kept draft is offered first."""
    ctx.require_staff()
    draft = ctx.runtime.drafts.get(ctx.user_id)
    ctx.answer()
    if draft is not None:
        ctx.clear_state()
        ctx.reply("draft_exists", keyboards.draft_choice(ctx.t), name=draft.get("name") or "—")
        return
    start_new(ctx)


def start_new(ctx: Context) -> None:
    """A fresh draft, asking for its name first."""
    draft = new_draft()
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ask_next(ctx, draft)


def open_edit(ctx: Context, mailing_id: int, force: bool = False) -> None:
    """Open a saved mailing in the constructor (asking before a different draft is dropped)."""
    ctx.require_staff()
    kept = ctx.runtime.drafts.get(ctx.user_id)
    if kept is not None and kept.get("mailing_id") == mailing_id and not force:
        show_menu(ctx, kept)
        return
    if kept is not None and not force:
        ctx.reply(
            "draft_replace_confirm",
            keyboards.confirm(ctx.t, "btn_yes_discard", f"ml:editf:{mailing_id}"),
            name=kept.get("name") or "—",
        )
        return
    try:
        mailing = ctx.api.get_mailing(ctx.user_id, mailing_id)
    except ApiError as exc:
        if exc.status != 404:
            raise
        ctx.reply("mailing_gone")
        return
    if mailing["status"] != "scheduled":
        ctx.reply("mailing_not_editable", status=ctx.t(f"mstatus_{mailing['status']}"))
        return
    draft = draft_from_mailing(mailing)
    ctx.runtime.drafts.put(ctx.user_id, draft)
    show_menu(ctx, draft)


def ask_next(ctx: Context, draft: dict) -> None:
    """Ask for the first missing field, or show the menu when nothing is missing."""
    if not draft.get("name"):
        ctx.set_state(Constructor.name)
        ctx.ask("ask_name")
    elif not draft.get("text"):
        ctx.set_state(Constructor.text)
        ctx.ask("ask_text")
    elif not has_schedule(draft):
        ask_time(ctx)
    else:
        show_menu(ctx, draft)


def ask_time(ctx: Context) -> None:
    """Ask for the send time in TIMEZONE."""
    ctx.set_state(Constructor.send_time)
    now = datetime.now(UTC).astimezone(ctx.zone)
    ctx.ask("ask_time", zone=ctx.zone.key, example=f"{now + timedelta(days=1):%d.%m.%Y %H:%M}")


def show_menu(ctx: Context, draft: dict, edit: bool = False) -> None:
    """The draft's summary and the menu (the one live menu: an earlier one loses its buttons)."""
    ctx.set_state(Constructor.menu)
    summary = _summary(ctx, draft) + "".join(line(ctx, draft) for line in SUMMARY_LINES)
    markup = keyboards.constructor_menu(ctx.t, draft)
    ctx.menu_shown(ctx.edit(summary, markup) if edit else ctx.send(summary, markup).message_id)


def _summary(ctx: Context, draft: dict) -> str:
    source = draft.get("text") or ""
    if "<" not in source:  # no tags: show the text as subscribers read it ("&amp;" is "&")
        source = html.unescape(source)
    shown = source if len(source) <= TEXT_SHOWN else source[: TEXT_SHOWN - 1] + "…"
    every = draft.get("buttons") or []
    lines = [
        ctx.t("menu_button_line", number=index, text=b["text"], url=_short(b["url"]))
        for index, b in enumerate(every[:BUTTONS_SHOWN], start=1)
    ]
    if len(every) > BUTTONS_SHOWN:
        lines.append(ctx.t("menu_more_buttons", count=len(every) - BUTTONS_SHOWN))
    buttons = "\n".join(lines)
    media = draft.get("media")
    return ctx.t(
        "menu_summary",
        title=_title(ctx, draft),
        name=draft.get("name") or "—",
        send_at=when(ctx, draft),
        audience=_audience(ctx, draft),
        text=shown,
        buttons=Markup(buttons) if buttons else ctx.t("menu_none"),
        media=ctx.t(f"media_{media['type']}") if media else ctx.t("menu_none"),
    )


def _audience(ctx: Context, draft: dict) -> str:
    """Who gets it, and the canary's line under it when it has one."""
    who = describe(ctx.t, draft.get("segment"), lambda moment: show_time(moment, ctx.zone))
    if not draft.get("canary"):
        return who
    line = ctx.t("canary_line", canary=describe_canary(ctx.t, ctx.lang, draft["canary"]))
    return Markup(html.escape(who, quote=False) + "\n" + line)


def _title(ctx: Context, draft: dict) -> str:
    if draft.get("mailing_id"):
        return ctx.t("menu_title_edit", mailing_id=draft["mailing_id"])
    if draft.get("copy_of"):
        return ctx.t("menu_title_copy", mailing_id=draft["copy_of"])
    return ctx.t("menu_title_new")


def _short(url: str) -> str:
    return url if len(url) <= URL_SHOWN else url[: URL_SHOWN - 1] + "…"


def when(ctx: Context, draft: dict) -> str:
    """The draft's send time as the admin reads it ("now", a local time, or a dash)."""
    if draft.get("send_now"):
        return ctx.t("time_now")
    if draft.get("send_at"):
        return show_time(draft["send_at"], ctx.zone)
    return "—"


def current_draft(ctx: Context) -> dict | None:
    """The acting user's draft; without one the dialog is over (e.g. discarded elsewhere)."""
    draft = ctx.runtime.drafts.get(ctx.user_id)
    if draft is None:
        ctx.clear_state()
        ctx.reply("draft_missing")
    return draft


# Inputs
def typed_text(message: Message) -> tuple[str, str]:
    """The text and the format the API should read it in.

    Formatting made in the Telegram client becomes HTML tags; a text without it is read by the
    API as HTML when it parses cleanly, else as plain text ("auto").
    """
    if any(entity.type in FORMATTING_ENTITIES for entity in message.entities or []):
        return message.html_text, "html"
    return message.text or "", "auto"


def name_given(message: Message, ctx: Context) -> None:
    """The internal name."""
    name = (message.text or "").strip()
    _answer(ctx, "name", name, lambda draft: {"name": name}, "ask_name")


def text_given(message: Message, ctx: Context) -> None:
    """The message text, kept as the HTML the API made of it; the admin hears how it was read."""
    ctx.require_staff()
    draft = current_draft(ctx)
    if draft is None:
        return
    text, text_format = typed_text(message)
    verdict = ctx.api.read_text(ctx.user_id, text, draft.get("media"), text_format)
    problems = (verdict.get("errors") or {}).get("text")
    if problems:
        ctx.reply("invalid_answer", errors=problem_lines(ctx, problems))
        ctx.ask("ask_text")
        return
    if text_format == "auto":
        tell_text_format(ctx, text, verdict)
    draft["text"] = verdict["text"]
    draft.pop("offer", None)  # a typed text answers the question: a pending caption offer is void
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ask_next(ctx, draft)


def tell_text_format(ctx: Context, typed: str, verdict: dict) -> None:
    """Say how a typed text was read, when it matters: as HTML, or as plain text that had to be escaped."""
    why = verdict.get("html_problem")
    if verdict.get("text_format") == "html":
        ctx.reply("text_read_as_html")
    elif why:
        ctx.reply("text_read_as_plain_why", problem=problem_text(ctx.lang, why, ctx.zone))
    elif verdict.get("text") != typed:
        ctx.reply("text_read_as_plain")


def _answer(ctx: Context, field: str, value: str, checked, ask_again: str) -> None:
    """Keep `value` as the draft's `field` and go on, or say why not and ask again.

    `checked(draft)` is what the API's rules judge (the field with whatever it depends on).
    """
    ctx.require_staff()
    draft = current_draft(ctx)
    if draft is None:
        return
    errors = ctx.api.validate(ctx.user_id, checked(draft))
    if errors.get(field):
        ctx.reply("invalid_answer", errors=field_lines(ctx, errors, (field,)))
        ctx.ask(ask_again)
        return
    draft[field] = value
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ask_next(ctx, draft)


def time_given(message: Message, ctx: Context) -> None:
    """The send time: DD.MM.YYYY HH:MM, HH:MM or now, in TIMEZONE."""
    ctx.require_staff()
    draft = current_draft(ctx)
    if draft is None:
        return
    try:
        moment = parse_send_time(message.text or "", ctx.zone)
    except NotATime:
        ctx.ask("time_unreadable", zone=ctx.zone.key)
        return
    if moment is None:
        draft.update(send_now=True, send_at=None)
    else:
        errors = ctx.api.validate(ctx.user_id, {"send_at": moment.isoformat()})
        if errors.get("send_at"):
            ctx.ask("time_invalid", errors=field_lines(ctx, errors, ("send_at",)), zone=ctx.zone.key)
            return
        draft.update(send_now=False, send_at=moment.isoformat())
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ask_next(ctx, draft)


def not_text(message: Message, ctx: Context) -> None:
    """A file or sticker where text was asked for."""
    ctx.require_staff()
    ctx.reply("send_text_please")


def menu_message(message: Message, ctx: Context) -> None:
    """Something typed while the menu is open: show the menu again."""
    ctx.require_staff()
    draft = current_draft(ctx)
    if draft is not None:
        ctx.reply("use_menu")
        show_menu(ctx, draft)


# The menu
def menu_pressed(call: CallbackQuery, ctx: Context) -> None:
    """cm:<draft id>:<action>."""
    ctx.require_staff()
    parts = call.data.split(":")
    draft = ctx.runtime.drafts.get(ctx.user_id)
    if len(parts) != 3 or draft is None or draft["id"] != parts[1]:
        ctx.answer("stale_draft", alert=True)
        return
    action = parts[2]
    handler = MENU_ACTIONS.get(action)
    if handler is None:
        ctx.answer("stale_button")
        return
    handler(ctx, draft)


def _menu(ctx: Context, draft: dict) -> None:
    ctx.answer()
    show_menu(ctx, draft, edit=True)


def _ask_field(state, key: str):
    def ask(ctx: Context, draft: dict) -> None:
        ctx.answer()
        ctx.set_state(state)
        ctx.ask(key)

    return ask


def _change_time(ctx: Context, draft: dict) -> None:
    ctx.answer()
    ask_time(ctx)


def draft_choice_pressed(call: CallbackQuery, ctx: Context) -> None:
    """dr:cont continues the kept draft; dr:new discards it and starts over."""
    ctx.require_staff()
    ctx.answer()
    draft = ctx.runtime.drafts.get(ctx.user_id)
    if call.data == "dr:cont" and draft is not None:
        ctx.delete_messages([call.message.message_id])
        ask_next(ctx, draft)
    else:
        ctx.delete_messages([call.message.message_id])
        start_new(ctx)


def new_mailing_command(message: Message, ctx: Context) -> None:
    """/newmailing."""
    begin(ctx)


MENU_ACTIONS = {
    "menu": _menu,
    "name": _ask_field(Constructor.name, "ask_name"),
    "text": _ask_field(Constructor.text, "ask_text"),
    "time": _change_time,
}


# Lines another feature module adds under the draft's summary (each "\n…", or "" when it has none).
SUMMARY_LINES: list = []


def register_summary_line(line) -> None:
    """Let another feature module (the repeat) add a line to the menu's summary: line(ctx, draft) -> str.

    Once per line, however many bots a process makes (each registers its handlers again)."""
    if line not in SUMMARY_LINES:
        SUMMARY_LINES.append(line)


def register_menu_action(action: str, handler) -> None:
    """Let another feature module (buttons, media, saving) answer a menu button of its own."""
    MENU_ACTIONS[action] = handler


def register(bot: TeleBot) -> None:
    """Register /newmailing, the three questions, the menu and the draft choice."""
    bot.register_message_handler(new_mailing_command, commands=["newmailing"], chat_types=["private"])
    register_answer(bot, name_given, Constructor.name)
    register_answer(bot, text_given, Constructor.text)
    register_answer(bot, time_given, Constructor.send_time)
    bot.register_message_handler(
        not_text,
        state=[
            Constructor.name,
            Constructor.text,
            Constructor.send_time,
            Constructor.button_text,
            Constructor.button_url,
            Constructor.audience,
            Constructor.canary,
        ],
        content_types=[kind for kind in util.content_type_media if kind != "text"],
        chat_types=["private"],
    )
    register_answer(bot, menu_message, Constructor.menu, util.content_type_media)
    bot.register_callback_query_handler(menu_pressed, func=lambda call: (call.data or "").startswith("cm:"))
    bot.register_callback_query_handler(draft_choice_pressed, func=prefix("dr:"))
