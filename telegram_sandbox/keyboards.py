"""reply_markup: parse and validate inline keyboards, reply keyboards, remove and force_reply."""

import re

from telegram_sandbox.params import bad_request, json_param

MAX_ROW = 8
MAX_BUTTONS = 100
_BUTTON_URL = re.compile(r"^(?:https?|tg)://[^\s]+$", re.IGNORECASE)
_ACTIONS = (
    "url",
    "callback_data",
    "login_url",
    "web_app",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_REPLY_BUTTON_FIELDS = (
    "text",
    "request_users",
    "request_chat",
    "request_contact",
    "request_location",
    "request_poll",
    "web_app",
)


def _button_error(detail: str):
    return bad_request(f"can't parse inline keyboard button: {detail}")


def _inline_button(button: object) -> dict:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    text = button.get("text")
    if text is None:
        raise _button_error('Can\'t find field "text"')
    if not isinstance(text, str):
        raise _button_error('Field "text" must be of type String')
    actions = [name for name in _ACTIONS if name in button]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        # Telegram silently keeps the first; the sandbox is stricter, since that is always a bug.
        raise _button_error(f"exactly one of the optional fields must be used, found {', '.join(actions)}")
    action = actions[0]
    value = button[action]
    if action == "url":
        if not isinstance(value, str) or not _BUTTON_URL.match(value):
            raise bad_request("BUTTON_URL_INVALID")
    elif action == "callback_data":
        if not isinstance(value, str):
            raise _button_error('Field "callback_data" must be of type String')
        if not 1 <= len(value.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    return {"text": text, action: value}


def _inline_keyboard(rows: object) -> dict:
    if not isinstance(rows, list):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    result = []
    total = 0
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        if len(row) > MAX_ROW:
            raise bad_request("REPLY_MARKUP_TOO_LONG")
        total += len(row)
        result.append([_inline_button(button) for button in row])
    if total > MAX_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    return {"inline_keyboard": result}


def _reply_keyboard(markup: dict) -> dict:
    rows = markup["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
    keyboard = []
    for row in rows:
        buttons = []
        for button in row:
            if isinstance(button, str):
                buttons.append({"text": button})
            elif isinstance(button, dict) and isinstance(button.get("text"), str):
                buttons.append({k: v for k, v in button.items() if k in _REPLY_BUTTON_FIELDS})
            else:
                raise bad_request("can't parse keyboard button: KeyboardButton must be a String or an Object")
        keyboard.append(buttons)
    options = (
        "is_persistent",
        "resize_keyboard",
        "one_time_keyboard",
        "input_field_placeholder",
        "selective",
    )
    return {"keyboard": keyboard, **{k: markup[k] for k in options if k in markup}}


def parse_reply_markup(params: dict) -> tuple[dict | None, dict | None]:
    """Return (inline keyboard for the Message, other keyboard kept by the sandbox)."""
    markup = json_param(params, "reply_markup", "reply keyboard markup")
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in markup:
        return _inline_keyboard(markup["inline_keyboard"]), None
    if "keyboard" in markup:
        return None, _reply_keyboard(markup)
    if "remove_keyboard" in markup:
        return None, {"remove_keyboard": True, **({"selective": True} if markup.get("selective") else {})}
    if "force_reply" in markup:
        placeholder = markup.get("input_field_placeholder")
        extra = {"input_field_placeholder": placeholder} if placeholder else {}
        return None, {"force_reply": True, **extra}
    raise bad_request("can't parse reply keyboard markup JSON object")


def find_callback_button(markup: dict | None, data: str) -> bool:
    """Whether an inline keyboard has a button with this callback_data."""
    if not markup:
        return False
    return any(button.get("callback_data") == data for row in markup["inline_keyboard"] for button in row)
