"""Telegram's HTML: its tag set, parsed into visible text and entities exactly as Telegram would.

`parse_html` raises `HtmlError` with the position where Telegram would refuse the text; lengths are
counted in UTF-16 code units (`visible_length`), as Telegram counts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from webapi.problems import Problem, problem

URL_LIMIT = 2048

# Telegram's tag set, in the order its documentation lists it, with the entity each tag makes.
_ENTITY_TYPES = {
    **dict.fromkeys(("b", "strong"), "bold"),
    **dict.fromkeys(("i", "em"), "italic"),
    **dict.fromkeys(("u", "ins"), "underline"),
    **dict.fromkeys(("s", "strike", "del"), "strikethrough"),
    **dict.fromkeys(("span", "tg-spoiler"), "spoiler"),
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
ALLOWED_TAGS = tuple(_ENTITY_TYPES)

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#[xX]([0-9A-Fa-f]{1,8})|#([0-9]{1,10})|([A-Za-z][A-Za-z0-9]*));")
_SPECIAL_RE = re.compile(r"[<&]")
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_ATTR_NAME_RE = re.compile(r"[A-Za-z_:][A-Za-z0-9_:.-]*")
_UNQUOTED_VALUE_RE = re.compile(r"[^\s>]*")
_ALLOWED_LIST = ", ".join(f"<{tag}>" for tag in ALLOWED_TAGS)


class HtmlError(ValueError):
    """Telegram would refuse this HTML: the problem (its `at` counts from 1) and the 0-based position."""

    def __init__(self, code: str, position: int, **params: object) -> None:
        self.problem: Problem = problem(code, at=position + 1, **params)
        super().__init__(self.problem.message)
        self.message = self.problem.message
        self.position = position


@dataclass(frozen=True)
class ParsedText:
    """Visible text and Telegram-style entities of an HTML message."""

    text: str
    entities: list


def visible_length(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts limits and offsets in."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    position: int
    entity: dict | None


class _HtmlParser:
    """One pass over the source with a stack of open tags, like Telegram's parser."""

    def __init__(self, source: str) -> None:
        self.source, self.pos, self.utf16 = source, 0, 0
        self.chunks: list[str] = []
        self.stack: list[_OpenTag] = []
        self.entities: list[dict] = []

    def parse(self) -> ParsedText:
        source = self.source
        while self.pos < len(source):
            special = _SPECIAL_RE.search(source, self.pos)
            stop = special.start() if special else len(source)
            if stop > self.pos:
                self._emit(source[self.pos : stop])
                self.pos = stop
            elif source[stop] == "&":
                self._emit(self._entity())
            elif source.startswith("</", stop):
                self._close_tag()
            else:
                self._open_tag()
        if self.stack:
            top = self.stack[-1]
            raise HtmlError("html_unclosed_tag", top.position, tag=top.name)
        # Telegram drops entities that cover no text, e.g. "<b></b>".
        entities = [entity for entity in self.entities if entity["length"] > 0]
        return ParsedText("".join(self.chunks), entities)

    def _emit(self, text: str) -> None:
        self.chunks.append(text)
        self.utf16 += visible_length(text)

    def _entity(self) -> str:
        start = self.pos
        match = _ENTITY_RE.match(self.source, start)
        if match is None:
            raise HtmlError("html_unescaped_amp", start)
        decoded = _decode_entity(match)
        if decoded is None and match.group(3) is None:
            raise HtmlError("html_bad_char_code", start, entity=match.group(0))
        if decoded is None:
            raise HtmlError("html_unknown_entity", start, entity=match.group(0))
        self.pos = match.end()
        return decoded

    def _tag_name(self, name_start: int) -> str:
        start = self.pos
        match = _TAG_NAME_RE.match(self.source, name_start)
        if match is None:
            raise HtmlError("html_unescaped_lt", start)
        name = match.group(0).lower()
        if name == "br":
            raise HtmlError("html_br", start)
        if name not in _ENTITY_TYPES:
            raise HtmlError("html_unknown_tag", start, tag=name, allowed=_ALLOWED_LIST)
        return name

    def _close_tag(self) -> None:
        start = self.pos
        name = self._tag_name(start + 2)
        end = _skip_spaces(self.source, start + 2 + len(name))
        if end >= len(self.source):
            raise HtmlError("html_unfinished_tag", start, tag=f"</{name}")
        if self.source[end] != ">":
            raise HtmlError("html_closing_tag_attributes", start, tag=name)
        self.pos = end + 1
        if not any(tag.name == name for tag in self.stack):
            raise HtmlError("html_unopened_tag", start, tag=name)
        top = self.stack.pop()
        if top.name != name:
            raise HtmlError(
                "html_misnested_tag", start, tag=name, open_tag=top.name, open_at=top.position + 1
            )
        if top.entity is not None:
            top.entity["length"] = self.utf16 - top.entity["offset"]

    def _open_tag(self) -> None:
        start = self.pos
        name = self._tag_name(start + 1)
        attrs = self._attributes(name, start, start + 1 + len(name))
        self._check_nesting(name, start)
        entity = self._make_entity(name, attrs, start)
        if entity is not None:
            self.entities.append(entity)
        self.stack.append(_OpenTag(name, start, entity))

    def _attributes(self, name: str, start: int, pos: int) -> dict[str, str]:
        source, attrs = self.source, {}
        while True:
            pos = _skip_spaces(source, pos)
            if pos >= len(source):
                raise HtmlError("html_unfinished_tag", start, tag=f"<{name}")
            if source[pos] == ">":
                self.pos = pos + 1
                return attrs
            if source.startswith("/>", pos):
                raise HtmlError("html_self_closing_tag", start, tag=name)
            match = _ATTR_NAME_RE.match(source, pos)
            if match is None:
                raise HtmlError("html_unexpected_character", pos, character=source[pos], tag=name)
            attr, pos, value = match.group(0).lower(), _skip_spaces(source, match.end()), ""
            if source.startswith("=", pos):
                pos = _skip_spaces(source, pos + 1)
                quote = source[pos : pos + 1]
                if quote in ('"', "'"):
                    close = source.find(quote, pos + 1)
                    if close < 0:
                        raise HtmlError("html_unclosed_quote", pos, attribute=attr, quote=quote)
                    value, pos = source[pos + 1 : close], close + 1
                else:
                    value_match = _UNQUOTED_VALUE_RE.match(source, pos)
                    value, pos = value_match.group(0), value_match.end()
            attrs[attr] = _decode_attribute(value)

    def _check_nesting(self, name: str, start: int) -> None:
        # Telegram reads a language only from <code> placed directly inside <pre>.
        code_in_pre = name == "code" and bool(self.stack) and self.stack[-1].name == "pre"
        for tag in self.stack:
            if tag.name in ("code", "pre") and not code_in_pre:
                block_at = tag.position + 1
                raise HtmlError("html_formatting_in_code", start, tag=name, block=tag.name, block_at=block_at)
            if tag.name == name and name in ("a", "blockquote", "tg-emoji"):
                raise HtmlError("html_nested_tag", start, tag=name, outer_at=tag.position + 1)

    def _make_entity(self, name: str, attrs: dict[str, str], start: int) -> dict | None:
        entity: dict = {"type": _ENTITY_TYPES[name], "offset": self.utf16, "length": 0}
        if name == "a":
            entity["url"] = _checked_href(attrs, start)
        elif name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlError("html_span_class", start)
        elif name == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif name == "tg-emoji":
            emoji_id = entity["custom_emoji_id"] = attrs.get("emoji-id", "")
            if not (emoji_id.isascii() and emoji_id.isdecimal()):
                raise HtmlError("html_emoji_id", start)
        elif name == "code" and self.stack and self.stack[-1].name == "pre":
            # Telegram folds this code into the pre entity, keeping only its language.
            language, pre_entity = attrs.get("class", ""), self.stack[-1].entity
            if language.startswith("language-") and len(language) > 9 and pre_entity is not None:
                pre_entity["language"] = language[9:]
            return None
        return entity


def _skip_spaces(source: str, pos: int) -> int:
    while pos < len(source) and source[pos].isspace():
        pos += 1
    return pos


def _decode_entity(match: re.Match) -> str | None:
    hex_code, dec_code, name = match.groups()
    if name is not None:
        return _NAMED_ENTITIES.get(name)
    code = int(hex_code, 16) if hex_code is not None else int(dec_code)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _decode_attribute(value: str) -> str:
    # Like Telegram, a stray '&' inside an attribute stays literal, so "?a=1&b=2" links keep working.
    return _ENTITY_RE.sub(lambda match: _decode_entity(match) or match.group(0), value)


def _checked_href(attrs: dict[str, str], start: int) -> str:
    if "href" not in attrs:
        raise HtmlError("html_link_no_href", start)
    href = attrs["href"].strip()
    if not href:
        raise HtmlError("html_link_empty_href", start)
    found = url_problem(href, ("http", "https", "tg", "mailto"))
    if found:
        kind, params = found
        raise HtmlError(f"html_link_{kind}", start, **params)
    return href


def url_problem(url: str, schemes: tuple[str, ...]) -> tuple[str, dict] | None:
    """Why Telegram would refuse this link: a kind (the end of a problem code) and its parameters.

    None if the link is fine. Each place a link is written in has its own codes, e.g. `button_link_`
    + kind, because where the link is changes how the problem reads.
    """
    if any(char.isspace() for char in url):
        return "has_space", {}
    if len(url) > URL_LIMIT:
        return "too_long", {"length": len(url), "limit": URL_LIMIT}
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return "invalid", {}
    scheme = parts.scheme.lower()
    if scheme not in schemes or (scheme != "mailto" and not url[len(scheme) + 1 :].startswith("//")):
        return "wrong_scheme", {"got": f"{parts.scheme}:" if parts.scheme else url[:20]}
    if scheme in ("http", "https") and not parts.hostname:
        return "no_host", {"scheme": scheme}
    if len(url) == len(scheme) + (1 if scheme == "mailto" else 3):
        return "incomplete", {"url": url}
    return None


def parse_html(source: str) -> ParsedText:
    """Parse Telegram HTML into visible text and entities; raise HtmlError where Telegram would refuse it."""
    return _HtmlParser(source).parse()
