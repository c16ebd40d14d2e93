"""What Telegram accepts in a mailing draft: HTML, lengths, buttons, media and send time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from webapi.telegram_html import URL_LIMIT as URL_LIMIT  # the rules' link limit, as the schemas state it
from webapi.telegram_html import HtmlError, parse_html, url_problem, visible_length

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
NAME_LIMIT = 100
BUTTONS_LIMIT = 100
BUTTON_TEXT_LIMIT = 64
FILE_ID_LIMIT = 255
MEDIA_TYPES = ("photo", "animation", "video", "document", "audio", "voice")
_REQUIRED = "This field is required."


def fits_caption(text: str) -> bool:
    """Whether this (valid) HTML text fits in a media caption."""
    return visible_length(parse_html(text).text) <= CAPTION_LIMIT


def check_name(name) -> list[str]:
    """Problems with the mailing's internal name."""
    if not isinstance(name, str):
        return ["Name must be text."]
    if not name.strip():
        return ["Name is empty: give the mailing a short internal name."]
    if len(name) > NAME_LIMIT:
        return [f"Name is {len(name)} characters; the limit is {NAME_LIMIT}. Shorten it."]
    return []


def check_text(text, has_media: bool) -> list[str]:
    """Problems with the HTML message text; with media an empty text is fine."""
    if not isinstance(text, str):
        return ["Text must be a string of HTML."]
    try:
        visible = parse_html(text).text
    except HtmlError as error:
        return [error.message]
    length = visible_length(visible)
    # Telegram trims surrounding whitespace, so a text of spaces and newlines is empty.
    if not visible.strip() and not has_media:
        return ["Text is empty: write the message text."]
    if length > TEXT_LIMIT:
        return [
            f"Text is {length} characters after formatting is removed; the limit is {TEXT_LIMIT}. "
            f"Shorten it by {length - TEXT_LIMIT}."
        ]
    return []


def check_buttons(buttons) -> list[str]:
    """Problems with the link buttons under the message, each naming its button number."""
    if buttons is None:
        return []
    if not isinstance(buttons, list | tuple):
        return ['Buttons must be a list of {"text": …, "url": …}.']
    errors = []
    if len(buttons) > BUTTONS_LIMIT:
        errors.append(
            f"There are {len(buttons)} buttons; the limit is {BUTTONS_LIMIT}. "
            f"Remove {len(buttons) - BUTTONS_LIMIT}."
        )
    for number, button in enumerate(buttons, start=1):
        errors.extend(f"Button {number}: {problem}" for problem in _button_problems(button))
    return errors


def _button_problems(button) -> list[str]:
    if not isinstance(button, Mapping):
        return ['must be {"text": …, "url": …}.']
    problems = []
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("text is empty: write the button label.")
    elif visible_length(text) > BUTTON_TEXT_LIMIT:
        problems.append(f"text is {visible_length(text)} characters; the limit is {BUTTON_TEXT_LIMIT}.")
    url = button.get("url")
    if not isinstance(url, str) or not url.strip():
        problems.append("link is missing: add an http://, https:// or tg:// link.")
    else:
        problem = url_problem(url, ("http", "https", "tg"))
        if problem:
            problems.append(f"link {problem}")
    return problems


def check_media(media) -> list[str]:
    """Problems with the attached media; None means no media."""
    if media is None:
        return []
    if not isinstance(media, Mapping):
        return ['Media must be {"type": …, "file_id": …}.']
    errors = []
    kind = media.get("type")
    if kind not in MEDIA_TYPES:
        errors.append(f"Media type {kind!r} is not supported; use one of: {', '.join(MEDIA_TYPES)}.")
    file_id = media.get("file_id")
    if not isinstance(file_id, str) or not file_id:
        errors.append("Media file is missing: send the file to the bot or give an http(s) link to it.")
    elif "://" in file_id:
        problem = url_problem(file_id, ("http", "https"))
        if problem:
            errors.append(f"Media link {problem}")
    elif any(char.isspace() for char in file_id) or len(file_id) > FILE_ID_LIMIT:
        errors.append("Media file_id is not a Telegram file_id: send the file to the bot again.")
    return errors


def check_send_at(send_at, now: datetime) -> list[str]:
    """Problems with the send time: it must carry a timezone and lie after `now`."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(send_at, datetime):
        return ["Send time must be a date and time, e.g. 2025-05-01T09:00:00+03:00."]
    if send_at.utcoffset() is None:
        return ["Send time has no timezone: add a UTC offset, e.g. 2025-05-01T09:00:00+03:00."]
    if send_at <= now:
        current = now.astimezone(send_at.tzinfo).isoformat(timespec="seconds")
        return [
            f"Send time {send_at.isoformat(timespec='seconds')} is not in the future (it is now {current}): "
            "choose a later time."
        ]
    return []


def validate_draft(draft: Mapping, now: datetime, partial: bool = False) -> dict[str, list[str]]:
    """All problems with a mailing draft by field; an empty dict means Telegram will accept it."""
    media = draft.get("media")
    checks = {
        "name": check_name,
        "text": lambda text: check_text(text, has_media=media is not None),
        "send_at": lambda send_at: check_send_at(send_at, now),
        "buttons": check_buttons,
        "media": check_media,
    }
    errors: dict[str, list[str]] = {}
    for key, check in checks.items():
        required = key in ("name", "text", "send_at")
        if draft.get(key) is None and required:
            if not partial or key in draft:
                errors[key] = [_REQUIRED]
            continue
        if key in draft:
            problems = check(draft[key])
            if problems:
                errors[key] = problems
    return errors
