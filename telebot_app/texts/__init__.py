"""Every user-facing text, in Russian and English; handlers only name keys."""

from __future__ import annotations

import html

from telebot_app.texts import en, ru
from webapi.settings import language_for as language_for  # one rule for the bot and the workers

CATALOGS = {"ru": ru.TEXTS, "en": en.TEXTS}
LANGUAGES = tuple(CATALOGS)


class Markup(str):
    """Already-rendered HTML that must not be escaped again."""


def text(language: str, key: str, escape: bool = True, **values: object) -> str:
    """The text `key` in `language` (English when missing) with `values` put in, HTML-escaped if `escape`."""
    template = CATALOGS.get(language, en.TEXTS).get(key) or en.TEXTS[key]
    escaped = {
        name: value if isinstance(value, Markup) or not escape else html.escape(str(value), quote=False)
        for name, value in values.items()
    }
    return template.format(**escaped) if escaped else template
