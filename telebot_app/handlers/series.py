"""Recurring mailings in the bot: the constructor's Repeat step, saving a repeating draft as a series,
and /adminmenu → Recurring mailings (each with its next run, Pause / Resume / End).

The first run is the draft's send time; the next ones come at the same local time of day (the
API keeps it across daylight saving changes), daily, on the ticked weekdays or on a day of the month,
until the admin ends it, until a date or a number of times.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

from telebot import TeleBot, util
from telebot.types import CallbackQuery, Message

from telebot_app import keyboards
from telebot_app.api_client import ApiError
from telebot_app.context import Context
from telebot_app.handlers import constructor
from telebot_app.handlers.filters import number, prefix, register_answer
from telebot_app.problems import refusal_text
from telebot_app.states import Constructor, Repeat
from telebot_app.times import from_iso, show_time

COUNT_LIMIT = 10_000
LISTED = 10
# The series the list shows: those that may still send.
LISTED_STATUSES = ("active", "paused", "finished")
_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def describe(ctx: Context, rule: dict) -> str:
    """A rule in words: "on Mon, Fri at 09:00, until 01.06.2027"."""
    clock = rule["time"]
    if rule["kind"] == "weekdays":
        days = ", ".join(ctx.t(f"wd_{day}") for day in sorted(rule.get("weekdays") or []))
        shown = ctx.t("rep_weekdays", days=days, time=clock)
    elif rule["kind"] == "monthly":
        shown = ctx.t("rep_monthly", day=rule.get("day"), time=clock)
    else:
        shown = ctx.t("rep_daily", time=clock)
    if rule.get("until"):
        shown += ctx.t("rep_until", date=f"{date.fromisoformat(str(rule['until'])):%d.%m.%Y}")
    if rule.get("count"):
        shown += ctx.t("rep_count", count=rule["count"])
    if not rule.get("until") and not rule.get("count"):
        shown += ctx.t("rep_forever")
    return shown


def draft_rule(ctx: Context, draft: dict, repeat: dict) -> dict:
    """The API's rule for a draft's repeat: at the local time of day of the draft's send time."""
    local = from_iso(draft["send_at"]).astimezone(ctx.zone)
    return {
        "kind": repeat["kind"],
        "weekdays": repeat.get("weekdays") or [],
        "day": repeat.get("day"),
        "time": f"{local:%H:%M}",
        "until": repeat.get("until"),
        "count": repeat.get("count"),
    }


def summary_line(ctx: Context, draft: dict) -> str:
    """The repeat under the constructor's summary ("" when the draft does not repeat)."""
    repeat = draft.get("repeat")
    if not repeat:
        return ""
    if draft.get("send_now") or not draft.get("send_at"):
        return "\n" + ctx.t("menu_repeat_line", repeat=ctx.t("repeat_no_time"))
    return "\n" + ctx.t("menu_repeat_line", repeat=describe(ctx, draft_rule(ctx, draft, repeat)))


# The constructor's Repeat step
def _kinds(ctx: Context, draft: dict) -> None:
    if draft.get("send_now") or not draft.get("send_at"):
        ctx.answer("repeat_needs_time", alert=True)
        return
    ctx.answer()
    ctx.set_state(Constructor.menu)
    repeat = draft.get("repeat")
    now = describe(ctx, draft_rule(ctx, draft, repeat)) if repeat else ctx.t("repeat_none")
    ctx.edit(
        ctx.t("repeat_choice", repeat=now, send_at=show_time(draft["send_at"], ctx.zone), zone=ctx.zone.key),
        keyboards.repeat_kinds(ctx.t, draft),
    )


def _pending(ctx: Context, draft: dict, repeat: dict) -> None:
    draft["repeat_pending"] = repeat
    ctx.runtime.drafts.put(ctx.user_id, draft)


def _daily(ctx: Context, draft: dict) -> None:
    _pending(ctx, draft, {"kind": "daily"})
    _ask_end(ctx, draft)


def _weekdays(ctx: Context, draft: dict) -> None:
    if not draft.get("send_at"):
        ctx.answer("repeat_needs_time", alert=True)
        return
    first = from_iso(draft["send_at"]).astimezone(ctx.zone).weekday()
    _pending(ctx, draft, {"kind": "weekdays", "weekdays": [first]})
    ctx.answer()
    ctx.edit(ctx.t("repeat_pick_weekdays"), keyboards.repeat_weekdays(ctx.t, draft, [first]))


def _toggle(day: int):
    def toggle(ctx: Context, draft: dict) -> None:
        pending = draft.get("repeat_pending") or {}
        if pending.get("kind") != "weekdays":
            ctx.answer("stale_button")
            return
        chosen = set(pending.get("weekdays") or [])
        chosen ^= {day}
        pending["weekdays"] = sorted(chosen)
        _pending(ctx, draft, pending)
        ctx.answer()
        ctx.edit(ctx.t("repeat_pick_weekdays"), keyboards.repeat_weekdays(ctx.t, draft, pending["weekdays"]))

    return toggle


def _weekdays_done(ctx: Context, draft: dict) -> None:
    pending = draft.get("repeat_pending") or {}
    if pending.get("kind") != "weekdays":
        ctx.answer("stale_button")
        return
    if not pending.get("weekdays"):
        ctx.answer("repeat_pick_a_day", alert=True)
        return
    _ask_end(ctx, draft)


def _monthly(ctx: Context, draft: dict) -> None:
    ctx.answer()
    ctx.edit(ctx.t("repeat_pick_day"), keyboards.repeat_month_days(ctx.t, draft))


def _month_day(day: int):
    def pick(ctx: Context, draft: dict) -> None:
        _pending(ctx, draft, {"kind": "monthly", "day": day})
        _ask_end(ctx, draft)

    return pick


def _ask_end(ctx: Context, draft: dict) -> None:
    if not draft.get("send_at"):
        ctx.answer("repeat_needs_time", alert=True)
        return
    ctx.answer()
    ctx.set_state(Constructor.menu)
    rule = draft_rule(ctx, draft, draft["repeat_pending"])
    shown = describe(ctx, {**rule, "until": None, "count": None}).removesuffix(ctx.t("rep_forever"))
    ctx.edit(ctx.t("repeat_end_choice", repeat=shown), keyboards.repeat_end(ctx.t, draft))


def _settle(ctx: Context, draft: dict, **end: object) -> None:
    """The pending repeat, with its end, becomes the draft's; the menu shows it."""
    draft["repeat"] = {**draft.pop("repeat_pending"), "until": None, "count": None, **end}
    ctx.runtime.drafts.put(ctx.user_id, draft)


def _forever(ctx: Context, draft: dict) -> None:
    if not draft.get("repeat_pending"):
        ctx.answer("stale_button")
        return
    _settle(ctx, draft)
    ctx.answer("repeat_set")
    constructor.show_menu(ctx, draft, edit=True)


def _ask_typed(state, key: str):
    def ask(ctx: Context, draft: dict) -> None:
        if not draft.get("repeat_pending"):
            ctx.answer("stale_button")
            return
        ctx.answer()
        ctx.set_state(state)
        ctx.ask(key, keyboards.back_to_menu(ctx.t, draft), limit=COUNT_LIMIT)

    return ask


def _no_repeat(ctx: Context, draft: dict) -> None:
    draft["repeat"] = None
    draft.pop("repeat_pending", None)
    ctx.runtime.drafts.put(ctx.user_id, draft)
    ctx.answer("repeat_off")
    constructor.show_menu(ctx, draft, edit=True)


def _typed_draft(ctx: Context) -> dict | None:
    ctx.require_staff()
    draft = constructor.current_draft(ctx)
    if draft is not None and not draft.get("repeat_pending"):
        # The question outlived its draft's choice (say, a save in another chat): back to the menu.
        constructor.show_menu(ctx, draft)
        return None
    return draft


def until_given(message: Message, ctx: Context) -> None:
    """The last date the mailing may run on, DD.MM.YYYY (the API judges whether it is past)."""
    draft = _typed_draft(ctx)
    if draft is None:
        return
    match = _DATE.fullmatch((message.text or "").strip())
    try:
        last = date(int(match[3]), int(match[2]), int(match[1])) if match else None
    except ValueError:
        last = None
    if last is None:
        example = from_iso(draft["send_at"]).astimezone(ctx.zone)
        ctx.reply("repeat_until_unreadable", example=f"{example:%d.%m.%Y}")
        ctx.ask("ask_repeat_until", keyboards.back_to_menu(ctx.t, draft))
        return
    _settle(ctx, draft, until=last.isoformat())
    constructor.show_menu(ctx, draft)


def count_given(message: Message, ctx: Context) -> None:
    """How many times it runs in all."""
    draft = _typed_draft(ctx)
    if draft is None:
        return
    count = number((message.text or "").strip(), COUNT_LIMIT)
    if count is None or count < 1:
        ctx.reply("repeat_count_unreadable", limit=COUNT_LIMIT)
        ctx.ask("ask_repeat_count", keyboards.back_to_menu(ctx.t, draft), limit=COUNT_LIMIT)
        return
    _settle(ctx, draft, count=count)
    constructor.show_menu(ctx, draft)


# Saving
def save(ctx: Context, draft: dict) -> None:
    """Save a repeating draft as a series (the saving module's Save calls this for such a draft)."""
    if draft.get("send_now") or not draft.get("send_at"):  # the time was changed to "now" since
        ctx.answer("repeat_needs_time", alert=True)
        constructor.show_menu(ctx, draft, edit=True)
        return
    local = from_iso(draft["send_at"]).astimezone(ctx.zone)
    body = {
        "name": draft["name"],
        "text": draft["text"],
        "buttons": draft.get("buttons") or [],
        "media": draft.get("media"),
        "segment": draft.get("segment"),
        "rule": {key: value for key, value in draft_rule(ctx, draft, draft["repeat"]).items() if value},
        "starts_on": local.date().isoformat(),
    }
    # One key per draft until it is saved: a save whose answer was lost, pressed again, finds its series.
    if not draft.get("series_key"):
        draft["series_key"] = uuid.uuid4().hex
        ctx.runtime.drafts.put(ctx.user_id, draft)
    try:
        series = ctx.api.create_series(ctx.user_id, body, draft["series_key"])
    except ApiError as exc:
        if exc.status not in (400, 422):
            raise
        ctx.answer()
        if exc.code == "idempotency_key_reused" and isinstance(exc.details, dict):
            # A lost save made the series before the draft changed: say so; a new save makes another.
            draft.pop("series_key")
            ctx.runtime.drafts.put(ctx.user_id, draft)
            ctx.reply("series_saved_before", series_id=exc.details.get("series_id"))
        else:
            ctx.reply("save_invalid", errors=refusal_text(ctx, exc))
        constructor.show_menu(ctx, draft)
        return
    ctx.runtime.drafts.delete(ctx.user_id)
    ctx.clear_state()
    ctx.answer("saved_short")
    ctx.edit(
        ctx.t(
            "series_saved",
            name=series["name"],
            series_id=series["id"],
            repeat=describe(ctx, series["rule"]),
            next_run=_next_run(ctx, series),
        )
    )


def _next_run(ctx: Context, series: dict) -> str:
    return show_time(series["next_run_at"], ctx.zone) if series.get("next_run_at") else "—"


# /adminmenu → Recurring mailings
def show_list(ctx: Context) -> None:
    """Every recurring mailing that may still send, newest first, with its next run and controls."""
    ctx.require_staff()
    page = ctx.api.list_series(ctx.user_id, LISTED_STATUSES, LISTED)
    ctx.answer()
    items = page["items"]
    if not items:
        ctx.edit(ctx.t("series_empty"))
        return
    lines = [ctx.t("series_list_title", total=page["total"])]
    for item in items:
        lines.append(
            ctx.t(
                "series_line",
                series_id=item["id"],
                name=item["name"],
                repeat=describe(ctx, item["rule"]),
                status=ctx.t(f"sstatus_{item['status']}"),
                next_run=_next_run(ctx, item),
            )
        )
    ctx.edit("\n\n".join(lines), keyboards.series_list(ctx.t, items))


def pressed(call: CallbackQuery, ctx: Context) -> None:
    """sr:list, sr:pause|resume|end|endok:<id>."""
    ctx.require_staff()
    parts = call.data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    series_id = number(parts[2]) if len(parts) == 3 else None
    if action == "list" and len(parts) == 2:
        show_list(ctx)
    elif action in ("pause", "resume", "endok") and series_id is not None:
        _control(ctx, series_id, {"endok": "end"}.get(action, action))
    elif action == "end" and series_id is not None:
        ctx.answer()
        ctx.edit(
            ctx.t("series_end_confirm", series_id=series_id),
            keyboards.confirm(ctx.t, "btn_yes_end", f"sr:endok:{series_id}", "sr:list"),
        )
    else:
        ctx.answer("stale_button")


def _control(ctx: Context, series_id: int, action: str) -> None:
    try:
        ctx.api.control_series(ctx.user_id, series_id, action)
    except ApiError as exc:
        if exc.status == 404:
            ctx.answer("series_gone", alert=True)
        elif exc.status == 409:
            ctx.answer("series_changed", alert=True)
        else:
            raise
    else:
        ctx.answer({"pause": "series_paused", "resume": "series_resumed", "end": "series_ended"}[action])
    show_list(ctx)


def register(bot: TeleBot) -> None:
    """Register the Repeat step's menu actions and questions, and the recurring mailings' list."""
    actions = {
        "rep": _kinds,
        "rpd": _daily,
        "rpw": _weekdays,
        "rpwok": _weekdays_done,
        "rpm": _monthly,
        "rpf": _forever,
        "rpu": _ask_typed(Repeat.until, "ask_repeat_until"),
        "rpc": _ask_typed(Repeat.count, "ask_repeat_count"),
        "rpno": _no_repeat,
        **{f"rpw{day}": _toggle(day) for day in range(7)},
        **{f"rpm{day}": _month_day(day) for day in range(1, 32)},
    }
    for action, handler in actions.items():
        constructor.register_menu_action(action, handler)
    constructor.register_summary_line(summary_line)
    register_answer(bot, until_given, Repeat.until)
    register_answer(bot, count_given, Repeat.count)
    bot.register_message_handler(
        constructor.not_text,
        state=[Repeat.until, Repeat.count],
        content_types=[kind for kind in util.content_type_media if kind != "text"],
        chat_types=["private"],
    )
    bot.register_callback_query_handler(pressed, func=prefix("sr:"))
