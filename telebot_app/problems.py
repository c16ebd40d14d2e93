"""The API's problems in the user's language: each stable code with its params, else the API's English.

A problem is {"code", "params", "message"}, as the API answers field errors and the message rules'
verdicts; a refusal's own code and details read the same way. The catalogs name each code
`problem_<code>`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from telebot_app import texts
from telebot_app.api_client import ApiError
from telebot_app.texts import Markup
from telebot_app.times import show_time

if TYPE_CHECKING:
    from telebot_app.context import Context

# Params that hold an ISO time; the user reads it in the bot's zone.
TIME_PARAMS = frozenset({"send_at", "now"})


def problem_text(language: str, problem: object, zone: ZoneInfo) -> Markup:
    """One problem as HTML in `language`; a code the catalogs do not know reads as the API's message."""
    if not isinstance(problem, dict):
        return Markup(html.escape(str(problem), quote=False))
    code, params = str(problem.get("code")), problem.get("params")
    fallback = Markup(html.escape(str(problem.get("message") or code), quote=False))
    key = f"problem_{code}"
    if key not in texts.CATALOGS["en"]:
        return fallback
    values = {name: _shown(language, name, value, zone) for name, value in (params or {}).items()}
    try:
        return Markup(texts.text(language, key, **values))
    except (KeyError, IndexError, ValueError):  # the API's params changed: its own words still help
        return fallback


def _shown(language: str, name: str, value: object, zone: ZoneInfo) -> object:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if name in TIME_PARAMS and isinstance(value, str):
        try:
            return show_time(value, zone)
        except ValueError:
            return value
    if name == "status" and f"mstatus_{value}" in texts.CATALOGS["en"]:
        return texts.text(language, f"mstatus_{value}")
    return value


def problems_of(errors: object, fields: tuple[str, ...] | None = None) -> list[object]:
    """The problems in field errors ({field: [problem]}, nested for lists), of `fields` or all."""
    if not isinstance(errors, dict):
        return []
    found: list[object] = []
    for field, value in errors.items():
        if fields is not None and field not in fields:
            continue
        if isinstance(value, dict):
            found.extend(problems_of(value))
        elif isinstance(value, list):
            found.extend(value)
    return found


def problem_lines(ctx: Context, problems: Iterable[object]) -> Markup:
    """Problems as a bulleted list in the user's language."""
    lines = (ctx.t("error_line", message=problem_text(ctx.lang, found, ctx.zone)) for found in problems)
    return Markup("\n".join(lines))


def field_lines(ctx: Context, errors: dict, fields: tuple[str, ...] | None = None) -> Markup:
    """The problems of `fields` (or all) in field errors, as a bulleted list."""
    return problem_lines(ctx, problems_of(errors, fields))


def refusal_text(ctx: Context, error: ApiError) -> Markup:
    """Why the API refused: its field problems as a list, else its code with the details as params."""
    found = problems_of(error.details)
    if found and error.status in (400, 422):
        return problem_lines(ctx, found)
    params = error.details if isinstance(error.details, dict) else {}
    return problem_text(ctx.lang, {"code": error.code, "params": params, "message": error.message}, ctx.zone)
