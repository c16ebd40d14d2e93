"""Personal greetings: `{first_name}`, `{last_name}`, `{full_name}`, `{username}` in a mailing's text
and button links, each with an optional fallback for a recipient who has no such name
(`{first_name|друг}`).

A value is HTML-escaped in the text and percent-encoded in a link, so a name can never add markup
or break an address. A text is compiled once per mailing (`Template`); each recipient's copy is
then a join of its parts, cheap enough for the engine's hot path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

# Telegram's own limits on a user's names (first and last name 64 characters, username 32).
LONGEST = {"first_name": 64, "last_name": 64, "full_name": 129, "username": 32}
NAMES = tuple(LONGEST)
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([^{}|]*))?\}")
# The widest a name can be, in the UTF-16 units Telegram counts: every character outside the BMP.
_WIDE = "\U0001d5d4"


def escape_html(value: str) -> str:
    """A value as literal text inside Telegram HTML."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def escape_url(value: str) -> str:
    """A value as one piece of a link (every character but letters, digits and -._~ encoded)."""
    return quote(value, safe="")


def unknown(text: str) -> list[str]:
    """The placeholders in `text` that are not ours, each once, in order."""
    found = [match.group(1) for match in PLACEHOLDER.finditer(text) if match.group(1) not in LONGEST]
    return list(dict.fromkeys(found))


def has_any(text: str) -> bool:
    """True when `text` holds one of our placeholders."""
    return any(match.group(1) in LONGEST for match in PLACEHOLDER.finditer(text))


def values_of(user: Mapping | None) -> dict[str, str]:
    """A user's names as the placeholders show them (empty where they have none)."""
    user = user or {}
    first, last = user.get("first_name") or "", user.get("last_name") or ""
    return {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}".strip(),
        "username": user.get("username") or "",
    }


@dataclass(frozen=True)
class Template:
    """A text split into literal parts and placeholders: (literal, None, None) or (None, name, fallback)."""

    parts: tuple[tuple[str | None, str | None, str], ...]

    @classmethod
    def of(cls, text: str) -> Template:
        """Compile `text` (unknown placeholders stay as they are written)."""
        parts: list[tuple[str | None, str | None, str]] = []
        at = 0
        for match in PLACEHOLDER.finditer(text):
            name = match.group(1)
            if name not in LONGEST:
                continue
            if match.start() > at:
                parts.append((text[at : match.start()], None, ""))
            parts.append((None, name, match.group(2) or ""))
            at = match.end()
        if at < len(text):
            parts.append((text[at:], None, ""))
        return cls(tuple(parts))

    def render(self, values: Mapping[str, str], escape: Callable[[str], str]) -> str:
        """The text with each placeholder replaced by its escaped value, or its fallback as written."""
        out = []
        for literal, name, fallback in self.parts:
            if name is None:
                out.append(literal)
            else:
                value = values.get(name) or ""
                out.append(escape(value) if value else fallback)
        return "".join(out)


def worst_case(text: str) -> str:
    """`text` with every placeholder as the longest name Telegram allows, or its fallback where that
    is longer (for the length rules)."""
    return "".join(
        literal if name is None else max(_WIDE * LONGEST[name], fallback, key=_units)
        for literal, name, fallback in Template.of(text).parts
    )


def worst_case_url(url: str) -> str:
    """A link with every placeholder as the longest name Telegram allows, encoded."""
    return Template.of(url).render({name: _WIDE * most for name, most in LONGEST.items()}, escape_url)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le"))


def sample(text: str, escape: Callable[[str], str]) -> str:
    """`text` with every placeholder as a short plain name (for the link and HTML rules)."""
    return Template.of(text).render(dict.fromkeys(LONGEST, "Name"), escape)
