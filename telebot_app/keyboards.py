"""Inline keyboards; every callback_data stays within Telegram's 64 bytes."""

from __future__ import annotations

from collections.abc import Callable

from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup

Text = Callable[..., str]
ROLES = ("subscriber", "moderator", "admin")
LABEL_LIMIT = 24
SENT_STATUSES = ("finished", "cancelled")
# Four keys per button row keeps a page within Telegram's 100 keys per keyboard.
BUTTONS_PAGE = 20


def _button(label: str, data: str) -> InlineKeyboardButton:
    assert len(data.encode()) <= 64, data
    return InlineKeyboardButton(label, callback_data=data)


def _markup(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    markup = InlineKeyboardMarkup()
    for row in rows:
        if row:
            markup.row(*row)
    return markup


def admin_menu(t: Text, role: str) -> InlineKeyboardMarkup:
    """The /adminmenu entries this role may use."""
    rows = [
        [_button(t("btn_mailings"), "am:list"), _button(t("btn_sent_mailings"), "am:sent")],
        [_button(t("btn_new_mailing"), "am:new"), _button(t("btn_series"), "sr:list")],
    ]
    if role == "admin":
        rows.insert(0, [_button(t("btn_roles"), "am:roles")])
        rows.append([_button(t("btn_invite_links"), "am:links"), _button(t("btn_tag_users"), "am:tags")])
    return _markup(*rows)


def staff_menu(t: Text, role: str, wants_reports: bool) -> InlineKeyboardMarkup:
    """The /adminmenu entries, and under them the switch of this staff member's mailing reports."""
    markup = admin_menu(t, role)
    # The button names the state it leads to, so a second press of an old menu changes nothing.
    if wants_reports:
        markup.row(_button(t("btn_reports_on"), "am:reports:off"))
    else:
        markup.row(_button(t("btn_reports_off"), "am:reports:on"))
    return markup


def role_choice(t: Text, tg_id: int, current: str) -> InlineKeyboardMarkup:
    """The roles to give a user (the current one marked), and Cancel."""
    buttons = [
        _button(("• " if role == current else "") + t(f"role_{role}"), f"rl:set:{tg_id}:{role}")
        for role in ROLES
    ]
    return _markup(buttons, [_button(t("btn_cancel"), "rl:no")])


def confirm(t: Text, yes_key: str, yes_data: str, no_data: str = "x:close") -> InlineKeyboardMarkup:
    """A yes/no question."""
    return _markup([_button(t(yes_key), yes_data), _button(t("btn_no"), no_data)])


def waits_for_approval(mailing: dict) -> bool:
    """A scheduled mailing that does not start before a second person approves it."""
    approval = mailing.get("approval") or {}
    return (
        mailing.get("status") == "scheduled"
        and bool(approval.get("required"))
        and not approval.get("approved_at")
    )


def approvable(mailing: dict, viewer: int | None) -> bool:
    """A mailing waiting for approval that `viewer` may approve: anyone on the staff but its author."""
    return waits_for_approval(mailing) and viewer is not None and viewer != mailing.get("author_tg_id")


def browser(t: Text, mailing: dict, number: int, viewer: int | None = None) -> InlineKeyboardMarkup:
    """Controls under one mailing of the browser (Approve for a `viewer` who may approve it).

    A finished or cancelled mailing is on a page of the Sent view (`mh:`), any other of the Scheduled
    one (`ml:`); a sent card's retry buttons come only for what there is to retry (its `stats`).
    """
    mid = mailing["id"]
    status = mailing["status"]
    view = "mh" if status in SENT_STATUSES else "ml"
    rows = [
        [
            _button("◀", f"{view}:p:{number - 1}"),
            _button(t("btn_goto"), f"{view}:goto"),
            _button("▶", f"{view}:p:{number + 1}"),
        ]
    ]
    if status == "scheduled":
        rows.append(
            [_button(t("btn_edit"), f"ml:edit:{mid}"), _button(t("btn_delete"), f"ml:del:{mid}:{number}")]
        )
        rows.append([_button(t("btn_send_now"), f"ml:now:{mid}:{number}")])
        if approvable(mailing, viewer):
            rows.append([_button(t("btn_approve"), f"ml:approve:{mid}:{mailing['version']}:{number}")])
    elif status == "sending":
        rows.append(
            [
                _button(t("btn_pause"), f"ml:pause:{mid}:{number}"),
                _button(t("btn_stop"), f"ml:cancel:{mid}:{number}"),
            ]
        )
    elif status == "paused":
        rows.append(
            [
                _button(t("btn_resume"), f"ml:resume:{mid}:{number}"),
                _button(t("btn_stop"), f"ml:cancel:{mid}:{number}"),
            ]
        )
    elif status in SENT_STATUSES:
        rows.extend(_sent_rows(t, mailing, number))
    rows.append([_button(t("btn_duplicate"), f"{view}:dup:{mid}")])
    rows.append([_button(t("btn_refresh"), f"{view}:p:{number}"), _other_view(t, view)])
    return _markup(*rows)


def _sent_rows(t: Text, mailing: dict, number: int) -> list[list[InlineKeyboardButton]]:
    """A sent card's Retry unknown / failed (a finished mailing with some) and its CSV of the unreached."""
    mid = mailing["id"]
    counts = (mailing.get("stats") or {}).get("counts") or {}
    retry = []
    if mailing["status"] == "finished":
        for action, status in (("ru", "unknown"), ("rf", "failed")):
            if counts.get(status):
                retry.append(
                    _button(t(f"btn_retry_{status}", count=counts[status]), f"mh:{action}:{mid}:{number}")
                )
    unreached = sum(counts.get(status) or 0 for status in ("blocked", "failed", "unknown", "cancelled"))
    return [retry, [_button(t("btn_unreached_csv"), f"mh:csv:{mid}")] if unreached else []]


def _other_view(t: Text, view: str) -> InlineKeyboardButton:
    return _button(t("btn_mailings"), "ml:p:1") if view == "mh" else _button(t("btn_sent_mailings"), "mh:p:1")


def empty_browser(t: Text, view: str = "ml") -> InlineKeyboardMarkup:
    """What to offer when a view of the browser is empty: a new mailing, the other view."""
    if view == "mh":
        return _markup([_other_view(t, view)])
    return _markup([_button(t("btn_new_mailing"), "am:new")], [_other_view(t, view)])


def draft_choice(t: Text) -> InlineKeyboardMarkup:
    """Continue the kept draft or start over."""
    return _markup([_button(t("btn_continue_draft"), "dr:cont")], [_button(t("btn_start_over"), "dr:new")])


def constructor_menu(t: Text, draft: dict) -> InlineKeyboardMarkup:
    """The constructor's menu for one draft (its id makes buttons of older drafts stale)."""
    d = draft["id"]

    def b(key: str, action: str) -> InlineKeyboardButton:
        return _button(t(key), f"cm:{d}:{action}")

    media_row = [b("btn_media_replace" if draft.get("media") else "btn_media_add", "media")]
    if draft.get("media"):
        media_row.append(b("btn_media_remove", "rmmedia"))
    buttons_row = [b("btn_add_button", "addbtn")]
    if draft.get("buttons"):
        buttons_row.append(b("btn_manage_buttons", "btns"))
    return _markup(
        buttons_row,
        media_row,
        # A saved mailing stays one mailing; a new draft may repeat (telebot_app/handlers/series.py).
        [b("btn_audience", "aud")] + ([] if draft.get("mailing_id") else [b("btn_repeat", "rep")]),
        [b("btn_canary", "can")],
        [b("btn_change_name", "name"), b("btn_change_text", "text"), b("btn_change_time", "time")],
        [b("btn_preview", "preview")],
        [b("btn_save", "save"), b("btn_exit", "exit")],
    )


def audience_choice(t: Text, draft: dict) -> InlineKeyboardMarkup:
    """Everyone, or pick the audience by tags and language; or back to the menu."""
    d = draft["id"]
    return _markup(
        [_button(t("btn_audience_everyone"), f"cm:{d}:audall")],
        [_button(t("btn_audience_pick"), f"cm:{d}:audpick")],
        [_button(t("btn_back"), f"cm:{d}:menu")],
    )


def canary_choice(t: Text, draft: dict) -> InlineKeyboardMarkup:
    """Under the canary question: no canary, or back to the menu."""
    d = draft["id"]
    return _markup([_button(t("btn_canary_off"), f"cm:{d}:canoff")], [_button(t("btn_back"), f"cm:{d}:menu")])


def invite_links(t: Text) -> InlineKeyboardMarkup:
    """Under the list of invite links: make a new one."""
    return _markup([_button(t("btn_new_link"), "il:new")])


def constructor_confirm(t: Text, draft: dict, yes_key: str, action: str) -> InlineKeyboardMarkup:
    """Yes (do `action`) or back to the menu."""
    d = draft["id"]
    return _markup([_button(t(yes_key), f"cm:{d}:{action}"), _button(t("btn_back"), f"cm:{d}:menu")])


def back_to_menu(t: Text, draft: dict) -> InlineKeyboardMarkup:
    """Under a constructor question: leave it for the menu, the draft as it was."""
    return _markup([_button(t("btn_back"), f"cm:{draft['id']}:menu")])


def caption_offer(t: Text, draft: dict) -> InlineKeyboardMarkup:
    """A file with a caption where the text was asked: use both, only the caption, or neither."""
    d = draft["id"]
    return _markup(
        [_button(t("btn_caption_both"), f"cm:{d}:capboth")],
        [_button(t("btn_caption_text"), f"cm:{d}:captext")],
        [_button(t("btn_caption_neither"), f"cm:{d}:capno")],
    )


def button_delete_confirm(t: Text, draft: dict, index: int) -> InlineKeyboardMarkup:
    """Delete button `index` of the draft, or keep it and go back to the list."""
    d = draft["id"]
    return _markup(
        [
            _button(t("btn_yes_delete"), f"cb:{d}:delok:{index}"),
            _button(t("btn_keep"), f"cb:{d}:pg:{index // BUTTONS_PAGE}"),
        ]
    )


def conflict(t: Text, draft: dict) -> InlineKeyboardMarkup:
    """After a version conflict: overwrite with mine, or reload theirs."""
    d = draft["id"]
    return _markup(
        [_button(t("btn_overwrite"), f"cm:{d}:overwrite")],
        [_button(t("btn_reload"), f"cm:{d}:reload")],
        [_button(t("btn_back"), f"cm:{d}:menu")],
    )


def deleted_while_editing(t: Text, draft: dict) -> InlineKeyboardMarkup:
    """The edited mailing is gone: save the draft as a new one, or go back."""
    d = draft["id"]
    return _markup([_button(t("btn_save_as_new"), f"cm:{d}:asnew")], [_button(t("btn_back"), f"cm:{d}:menu")])


def manage_buttons(t: Text, draft: dict, page: int = 0) -> InlineKeyboardMarkup:
    """One row per button: its label, up, down, delete; pages of BUTTONS_PAGE; then Done."""
    d = draft["id"]
    buttons = draft.get("buttons") or []
    first = page * BUTTONS_PAGE
    rows = []
    for index in range(first, min(first + BUTTONS_PAGE, len(buttons))):
        text = buttons[index]["text"]
        label = text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"
        rows.append(
            [
                _button(f"{index + 1}. {label}", f"cb:{d}:nop:{index}"),
                _button("⬆", f"cb:{d}:up:{index}"),
                _button("⬇", f"cb:{d}:dn:{index}"),
                _button("✖", f"cb:{d}:del:{index}"),
            ]
        )
    paging = []
    if page > 0:
        paging.append(_button("◀", f"cb:{d}:pg:{page - 1}"))
    if first + BUTTONS_PAGE < len(buttons):
        paging.append(_button("▶", f"cb:{d}:pg:{page + 1}"))
    rows.append(paging)
    rows.append([_button(t("btn_done"), f"cm:{d}:menu")])
    return _markup(*rows)


def repeat_kinds(t: Text, draft: dict) -> InlineKeyboardMarkup:
    """How often a new mailing repeats: daily, on weekdays, monthly, or not at all; or back."""
    d = draft["id"]
    return _markup(
        [_button(t("btn_repeat_daily"), f"cm:{d}:rpd")],
        [_button(t("btn_repeat_weekdays"), f"cm:{d}:rpw")],
        [_button(t("btn_repeat_monthly"), f"cm:{d}:rpm")],
        [_button(t("btn_repeat_off"), f"cm:{d}:rpno"), _button(t("btn_back"), f"cm:{d}:menu")],
    )


def repeat_weekdays(t: Text, draft: dict, chosen: list[int]) -> InlineKeyboardMarkup:
    """The seven days to tick (✓ on the chosen ones), then Done; or back."""
    d = draft["id"]
    days = [_button(("✓ " if day in chosen else "") + t(f"wd_{day}"), f"cm:{d}:rpw{day}") for day in range(7)]
    return _markup(
        days[:4], days[4:], [_button(t("btn_done"), f"cm:{d}:rpwok"), _button(t("btn_back"), f"cm:{d}:menu")]
    )


def repeat_month_days(t: Text, draft: dict) -> InlineKeyboardMarkup:
    """Days 1–31 of the month, seven to a row; or back."""
    d = draft["id"]
    days = [_button(str(day), f"cm:{d}:rpm{day}") for day in range(1, 32)]
    rows = [days[start : start + 7] for start in range(0, 31, 7)]
    return _markup(*rows, [_button(t("btn_back"), f"cm:{d}:menu")])


def repeat_end(t: Text, draft: dict) -> InlineKeyboardMarkup:
    """Until when a repeat runs: until ended, until a date, a number of times; or back."""
    d = draft["id"]
    return _markup(
        [_button(t("btn_repeat_forever"), f"cm:{d}:rpf")],
        [_button(t("btn_repeat_until"), f"cm:{d}:rpu"), _button(t("btn_repeat_count"), f"cm:{d}:rpc")],
        [_button(t("btn_back"), f"cm:{d}:menu")],
    )


def series_list(t: Text, items: list[dict]) -> InlineKeyboardMarkup:
    """Under the recurring mailings: pause or resume, and end, each; then refresh."""
    rows = []
    for item in items:
        sid, status = item["id"], item["status"]
        row = []
        if status == "active":
            row.append(_button(t("btn_series_pause", series_id=sid), f"sr:pause:{sid}"))
        elif status == "paused":
            row.append(_button(t("btn_series_resume", series_id=sid), f"sr:resume:{sid}"))
        # A finished series may still have runs to come: ending removes them.
        if status in ("active", "paused") or item.get("scheduled_runs"):
            row.append(_button(t("btn_series_end", series_id=sid), f"sr:end:{sid}"))
        rows.append(row)
    rows.append([_button(t("btn_refresh"), "sr:list")])
    return _markup(*rows)
