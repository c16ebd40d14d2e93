"""What Telegram accepts in a mailing draft: HTML, lengths, buttons, media and send time.

Each check answers a list of `Problem`s (webapi.problems): a stable code, its parameters and an
English message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from webapi import placeholders
from webapi.problems import Problem, problem
from webapi.telegram_html import URL_LIMIT as URL_LIMIT  # the rules' link limit, as the schemas state it
from webapi.telegram_html import HtmlError, parse_html, url_problem, visible_length

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
NAME_LIMIT = 100
BUTTONS_LIMIT = 100
BUTTON_TEXT_LIMIT = 64
FILE_ID_LIMIT = 255
MEDIA_TYPES = ("photo", "animation", "video", "document", "audio", "voice")
TEXT_FORMATS = ("html", "plain", "auto")
# Something that reads as an opening or closing tag, not as "5 < 6" or "I <3 you".
_TAG_LIKE = re.compile(r"</?[A-Za-z]")


def fits_caption(text: str) -> bool:
    """Whether this (valid) HTML text fits in a media caption, whoever's names fill its placeholders."""
    return _longest(parse_html(text).text) <= CAPTION_LIMIT


def _longest(visible: str) -> int:
    """The visible length of a text at its longest: each placeholder as the longest name there is."""
    return visible_length(placeholders.worst_case(visible))


def _unknown_placeholders(text: str) -> list[Problem]:
    names = placeholders.unknown(text)
    if names:
        return [problem("placeholder_unknown", names=names, known=list(placeholders.NAMES))]
    return []


def as_html(text: str, text_format: str = "html") -> tuple[str, str, Problem | None]:
    """The text as Telegram HTML, the format it was read in ("html" or "plain"), and why not HTML.

    "html" takes the text as HTML as it is (the rules then judge it); "plain" escapes it, so
    subscribers see exactly what was typed; "auto" takes it as HTML when it parses cleanly with
    markup in it, else as plain text. The third value is the HTML problem that made "auto" choose
    plain text for a text with something tag-like in it, else None.
    """
    if text_format not in TEXT_FORMATS:
        raise ValueError(f"text_format must be one of {TEXT_FORMATS}, got {text_format!r}")
    if text_format == "html":
        return text, "html", None
    if text_format == "auto":
        try:
            parsed = parse_html(text)
        except HtmlError as error:
            why = error.problem if _TAG_LIKE.search(text) else None
        else:
            # Without tags or entity references HTML and plain text mean the same.
            if parsed.text != text:
                return text, "html", None
            why = None
        return _escaped(text), "plain", why
    return _escaped(text), "plain", None


def _escaped(text: str) -> str:
    # Telegram reads a bare ">" as itself, so only "&" and "<" need escaping.
    return text.replace("&", "&amp;").replace("<", "&lt;")


def check_name(name) -> list[Problem]:
    """Problems with the mailing's internal name."""
    if not isinstance(name, str):
        return [problem("name_not_text")]
    if not name.strip():
        return [problem("name_empty")]
    if len(name) > NAME_LIMIT:
        return [problem("name_too_long", length=len(name), limit=NAME_LIMIT)]
    return []


def check_text(text, has_media: bool) -> list[Problem]:
    """Problems with the HTML message text; with media an empty text is fine."""
    if not isinstance(text, str):
        return [problem("text_not_text")]
    try:
        visible = parse_html(text).text
    except HtmlError as error:
        return [error.problem]
    unknown = _unknown_placeholders(visible)
    if unknown:
        return unknown
    length = _longest(visible)
    # Telegram trims surrounding whitespace, so a text of spaces and newlines is empty.
    if not visible.strip() and not has_media:
        return [problem("text_empty")]
    if length > TEXT_LIMIT:
        return [problem("text_too_long", length=length, limit=TEXT_LIMIT, excess=length - TEXT_LIMIT)]
    return []


def check_buttons(buttons) -> list[Problem]:
    """Problems with the link buttons under the message, each naming its button number."""
    if buttons is None:
        return []
    if not isinstance(buttons, list | tuple):
        return [problem("buttons_not_list")]
    errors = []
    if len(buttons) > BUTTONS_LIMIT:
        count = len(buttons)
        errors.append(
            problem("buttons_too_many", count=count, limit=BUTTONS_LIMIT, excess=count - BUTTONS_LIMIT)
        )
    for number, button in enumerate(buttons, start=1):
        errors.extend(_button_problems(number, button))
    return errors


def _button_problems(number: int, button) -> list[Problem]:
    if not isinstance(button, Mapping):
        return [problem("button_not_object", button=number)]
    problems = []
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(problem("button_text_empty", button=number))
    elif visible_length(text) > BUTTON_TEXT_LIMIT:
        length = visible_length(text)
        problems.append(
            problem("button_text_too_long", button=number, length=length, limit=BUTTON_TEXT_LIMIT)
        )
    url = button.get("url")
    if not isinstance(url, str) or not url.strip():
        problems.append(problem("button_link_missing", button=number))
    elif placeholders.unknown(url):
        names = placeholders.unknown(url)
        problems.append(
            problem("button_placeholder_unknown", button=number, names=names, known=list(placeholders.NAMES))
        )
    else:
        # Judged with a name in each placeholder; its length with the longest names, encoded.
        found = url_problem(placeholders.sample(url, placeholders.escape_url), ("http", "https", "tg"))
        longest = placeholders.worst_case_url(url)
        if not found and len(longest) > URL_LIMIT:
            found = ("too_long", {"length": len(longest), "limit": URL_LIMIT})
        if found:
            kind, params = found
            problems.append(problem(f"button_link_{kind}", button=number, **params))
    return problems


def check_media(media) -> list[Problem]:
    """Problems with the attached media; None means no media."""
    if media is None:
        return []
    if not isinstance(media, Mapping):
        return [problem("media_not_object")]
    errors = []
    kind = media.get("type")
    if kind not in MEDIA_TYPES:
        errors.append(problem("media_type_unsupported", type=kind, types=list(MEDIA_TYPES)))
    file_id = media.get("file_id")
    if not isinstance(file_id, str) or not file_id:
        errors.append(problem("media_file_missing"))
    elif "://" in file_id:
        found = url_problem(file_id, ("http", "https"))
        if found:
            link_kind, params = found
            errors.append(problem(f"media_link_{link_kind}", **params))
    elif any(char.isspace() for char in file_id) or len(file_id) > FILE_ID_LIMIT:
        errors.append(problem("media_file_id_invalid"))
    return errors


def check_send_at(send_at, now: datetime) -> list[Problem]:
    """Problems with the send time: it must carry a timezone and lie after `now`."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(send_at, datetime):
        return [problem("send_at_not_time")]
    if send_at.utcoffset() is None:
        return [problem("send_at_no_timezone")]
    if send_at <= now:
        current = now.astimezone(send_at.tzinfo).isoformat(timespec="seconds")
        return [problem("send_at_not_future", send_at=send_at.isoformat(timespec="seconds"), now=current)]
    return []


def validate_draft(draft: Mapping, now: datetime, partial: bool = False) -> dict[str, list[Problem]]:
    """All problems with a mailing draft by field; an empty dict means Telegram will accept it."""
    media = draft.get("media")
    checks = {
        "name": check_name,
        "text": lambda text: check_text(text, has_media=media is not None),
        "send_at": lambda send_at: check_send_at(send_at, now),
        "buttons": check_buttons,
        "media": check_media,
    }
    errors: dict[str, list[Problem]] = {}
    for key, check in checks.items():
        required = key in ("name", "text", "send_at")
        if draft.get(key) is None and required:
            if not partial or key in draft:
                errors[key] = [problem("required")]
            continue
        if key in draft:
            problems = check(draft[key])
            if problems:
                errors[key] = problems
    return errors
