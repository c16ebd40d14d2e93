"""Telegram's HTML parse mode: text plus MessageEntity list, with Telegram's own error texts.

The parser follows the rules of Telegram's server (tdlib ``parse_html``): the same tag set,
the same four named character references plus numeric ones, and the same error messages
with byte offsets into the UTF-8 text. Offsets and lengths of entities are in UTF-16 units.
"""

import re

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL = re.compile(r"[<&]")
_SPACE = " \t\r\n\v\f\0"
_TRIM = " \t\r\n\v\f"
_LINK = re.compile(r"^(?:https?|tg|ton|mailto)://\S+$|^[\w.-]+\.[a-z]{2,}(?:/\S*)?$", re.IGNORECASE)
# Entities Telegram's server finds by itself in any text (a pragmatic subset).
_AUTO = re.compile(
    r"(?P<url>\bhttps?://[^\s<>\"]+)"
    r"|(?<![\w/])(?P<bot_command>/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)(?![\w/])"
    r"|(?<![\w@])(?P<mention>@[A-Za-z][A-Za-z0-9_]{3,31})\b"
    r"|(?<![\w#])(?P<hashtag>#[^\W\d_][\w]*)"
)


class EntityParseError(ValueError):
    """The text cannot be parsed; ``str(error)`` is Telegram's description after the prefix."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, as Telegram counts offsets and lengths."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) >> 1


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_reference(text: str, pos: int) -> tuple[str | None, int]:
    """Decode a character reference at ``text[pos] == '&'``; (None, pos) when it is not one."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        value = 0
        hexadecimal = end < n and text[end] == "x"
        if hexadecimal:
            end += 1
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        while end < n and text[end] in digits:
            value = value * (16 if hexadecimal else 10) + int(text[end], 16)
            end += 1
            if value >= 0x10FFFF:
                return None, pos
        if value == 0 or 0xD800 <= value <= 0xDFFF:
            return None, pos
        char = chr(value)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        char = _NAMED.get(text[pos + 1 : end])
        if char is None:
            return None, pos
    if end < n and text[end] == ";":
        end += 1
    return char, end


def _parse_start_tag(text: str, begin: int) -> tuple[str, str, int]:
    """Parse ``<tag attr=...>`` starting at ``begin``; return (tag, argument, index after '>')."""
    n = len(text)
    i = begin + 1
    while i < n and text[i] not in _SPACE and text[i] != ">":
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    tag = text[begin + 1 : i].lower()
    if tag not in ALLOWED_TAGS:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
    argument = ""
    while text[i] != ">":
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
        if text[i] == ">":
            break
        name_begin = i
        while i < n and text[i] not in _SPACE and text[i] not in "=>/\"'":
            i += 1
        name = text[name_begin:i]
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n or text[i] != "=":
            if i >= n:
                raise EntityParseError(
                    f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            if tag == "blockquote" and name == "expandable":
                argument = "1"
            continue
        i += 1
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] not in "\"'":
            token_begin = i
            while i < n and (text[i].isascii() and text[i].isalnum() or text[i] in ".-"):
                i += 1
            value = text[token_begin:i].lower()
            if i < n and text[i] not in _SPACE and text[i] != ">":
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, token_begin)}"
                )
        else:
            quote = text[i]
            i += 1
            chars = []
            while i < n and text[i] != quote:
                if text[i] == "&":
                    char, after = _decode_reference(text, i)
                    if char is not None:
                        chars.append(char)
                        i = after
                        continue
                chars.append(text[i])
                i += 1
            if i < n:
                i += 1
            value = "".join(chars)
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        lowered = name.lower()
        if tag == "a" and lowered == "href":
            argument = value
        elif tag == "code" and lowered == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and lowered == "class" or tag == "tg-emoji" and lowered == "emoji-id":
            argument = value
        elif tag == "blockquote" and lowered == "expandable":
            argument = "1"
    if tag == "span" and argument != "tg-spoiler":
        raise EntityParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
        )
    return tag, argument, i + 1


def _entity(tag: str, argument: str, offset: int, length: int, entities: list[dict]) -> None:
    kind = _SIMPLE.get(tag)
    if kind is not None:
        entities.append({"offset": offset, "length": length, "type": kind})
    elif tag == "a":
        if argument and _LINK.match(argument):
            url = argument if "://" in argument else "http://" + argument + ("" if "/" in argument else "/")
            entities.append({"offset": offset, "length": length, "type": "text_link", "url": url})
    elif tag == "code":
        last = entities[-1] if entities else None
        if last and last["type"] == "pre" and last["offset"] == offset and last["length"] == length:
            if argument:
                last["language"] = argument
        else:
            entity = {"offset": offset, "length": length, "type": "code"}
            if argument:
                entity["language"] = argument  # kept for a surrounding <pre>, dropped otherwise
            entities.append(entity)
    elif tag == "pre":
        last = entities[-1] if entities else None
        if last and last["type"] == "code" and last["offset"] == offset and last["length"] == length:
            last["type"] = "pre"
        else:
            entities.append({"offset": offset, "length": length, "type": "pre"})
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument else "blockquote"
        entities.append({"offset": offset, "length": length, "type": kind})
    elif tag == "tg-emoji":
        if not argument.isdigit():
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(
            {"offset": offset, "length": length, "type": "custom_emoji", "custom_emoji_id": argument}
        )


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into (plain text, entities) or raise EntityParseError."""
    chunks: list[str] = []
    entities: list[dict] = []
    stack: list[tuple[str, str, int]] = []
    u16 = 0
    pos = 0
    n = len(text)
    while pos < n:
        match = _SPECIAL.search(text, pos)
        if match is None:
            chunks.append(text[pos:])
            break
        i = match.start()
        if i > pos:
            chunk = text[pos:i]
            chunks.append(chunk)
            u16 += utf16_len(chunk)
        if text[i] == "&":
            char, after = _decode_reference(text, i)
            if char is None:
                chunks.append("&")
                u16 += 1
                pos = i + 1
            else:
                chunks.append(char)
                u16 += utf16_len(char)
                pos = after
            continue
        if i + 1 < n and text[i + 1] == "/":
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
            j = i + 2
            while j < n and text[j] not in _SPACE and text[j] != ">":
                j += 1
            end_name = text[i + 2 : j]
            while j < n and text[j] in _SPACE:
                j += 1
            if j >= n or text[j] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, i)}")
            tag, argument, start = stack.pop()
            if end_name and end_name != tag:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {_byte_offset(text, i)}, expected "</{tag}>", '
                    f'found "</{end_name}>"'
                )
            if u16 > start:
                _entity(tag, argument, start, u16 - start, entities)
            pos = j + 1
        else:
            tag, argument, pos = _parse_start_tag(text, i)
            stack.append((tag, argument, u16))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(chunks), entities


def finish_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Trim whitespace as Telegram does, clip entities to the result, add auto-detected ones, sort."""
    stripped = text.strip(_TRIM)
    if stripped != text:
        head = utf16_len(text[: len(text) - len(text.lstrip(_TRIM))])
        size = utf16_len(stripped)
        clipped = []
        for entity in entities:
            start = max(entity["offset"] - head, 0)
            end = min(entity["offset"] + entity["length"] - head, size)
            if end > start:
                clipped.append({**entity, "offset": start, "length": end - start})
        text, entities = stripped, clipped
    if text and ("/" in text or "@" in text or "#" in text):
        entities = entities + _auto_entities(text, entities)
    if len(entities) > 1:
        entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return text, entities


def _auto_entities(text: str, explicit: list[dict]) -> list[dict]:
    found = []
    taken = [
        (e["offset"], e["offset"] + e["length"])
        for e in explicit
        if e["type"] in ("code", "pre", "text_link")
    ]
    for match in _AUTO.finditer(text):
        kind = match.lastgroup
        start = utf16_len(text[: match.start()])
        length = utf16_len(match.group())
        if any(a < start + length and start < b for a, b in taken):
            continue
        found.append({"offset": start, "length": length, "type": kind})
    return found


def plain_entities(text: str) -> tuple[str, list[dict]]:
    """Text without a parse mode: trimmed, with Telegram's auto-detected entities only."""
    return finish_text(text, [])
