"""Every user-facing text, in Russian and English; handlers only name keys."""

from __future__ import annotations

import html

from telebot_app.texts import en, ru

CATALOGS = {"ru": ru.TEXTS, "en": en.TEXTS}
LANGUAGES = tuple(CATALOGS)


class Markup(str):
    """Already-rendered HTML that must not be escaped again."""


def language_for(language_code: str | None, fallback: str) -> str:
    """The catalog for a Telegram language_code (`en-GB` → en), else the fallback."""
    code = (language_code or "").split("-")[0].lower()
    return code if code in CATALOGS else fallback


def text(language: str, key: str, escape: bool = True, **values: object) -> str:
    """The text `key` in `language` (English when missing) with `values` put in, HTML-escaped if `escape`."""
    template = CATALOGS.get(language, en.TEXTS).get(key) or en.TEXTS[key]
    escaped = {
        name: value if isinstance(value, Markup) or not escape else html.escape(str(value), quote=False)
        for name, value in values.items()
    }
    return template.format(**escaped) if escaped else template
