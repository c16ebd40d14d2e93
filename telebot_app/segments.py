"""A mailing's audience as admins type and read it: `tags: vip, clients; language: ru`.

The typed form narrows by tags (any of them) and languages; a segment made elsewhere (through the
API) may hold more, and reads in full. The rules for a tag and a language are the API's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from webapi import segments as rules

# Both languages' words for the two keys, so an admin may type either.
KEYS = {
    "tag": "tags_any",
    "tags": "tags_any",
    "тег": "tags_any",
    "теги": "tags_any",
    "метка": "tags_any",
    "метки": "tags_any",
    "language": "languages",
    "languages": "languages",
    "lang": "languages",
    "язык": "languages",
    "языки": "languages",
}
CLAUSES = re.compile(r"[;\n]")
VALUES = re.compile(r"[,\s]+")
# How each condition of a stored segment reads, and the word joining its values.
READINGS = (
    ("languages", "seg_languages", "seg_or"),
    ("tags_any", "seg_tags_any", "seg_or"),
    ("tags_all", "seg_tags_all", "seg_and"),
    ("tags_none", "seg_tags_none", "seg_comma"),
    ("roles", "seg_roles", "seg_or"),
    ("sources", "seg_sources", "seg_or"),
)


class SegmentUnreadable(ValueError):
    """A typed audience the bot cannot read: the catalog key that says why, and its values."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def parse_segment(text: str) -> dict:
    """`tags: a, b; language: ru` (clauses on lines or split by `;`) as a segment the API takes."""
    segment: dict[str, list[str]] = {}
    for clause in (part.strip() for part in CLAUSES.split(text)):
        if not clause:
            continue
        name, colon, rest = clause.partition(":")
        if not colon:
            raise SegmentUnreadable("segment_no_colon", clause=clause)
        key = KEYS.get(name.strip().lower())
        if key is None:
            raise SegmentUnreadable("segment_unknown_key", name=name.strip())
        values = [value for value in VALUES.split(rest) if value]
        if not values:
            raise SegmentUnreadable("segment_no_values", name=name.strip())
        for value in values:
            if key == "tags_any" and not rules.is_tag(value):
                raise SegmentUnreadable("segment_bad_tag", tag=value)
            if key == "languages" and rules.LANGUAGE.fullmatch(value.lower()) is None:
                raise SegmentUnreadable("segment_bad_language", language=value)
        chosen = segment.setdefault(key, [])
        chosen.extend(value.lower() if key == "languages" else value for value in values)
    if not segment:
        raise SegmentUnreadable("segment_blank")
    return {key: list(dict.fromkeys(values)) for key, values in segment.items()}


def describe(t: Callable[..., str], segment: dict | None, moment: Callable[[str], str]) -> str:
    """Who a segment takes, in words ("language ru, tag vip or clients"); `moment` shows a stored time."""
    if not segment:
        return t("audience_all", escape=False)
    parts = [
        t(reading, escape=False, values=t(joiner, escape=False).join(segment[key]))
        for key, reading, joiner in READINGS
        if segment.get(key)
    ]
    if segment.get("subscribed_after"):
        parts.append(t("seg_subscribed_after", escape=False, moment=moment(segment["subscribed_after"])))
    if segment.get("subscribed_before"):
        parts.append(t("seg_subscribed_before", escape=False, moment=moment(segment["subscribed_before"])))
    return ", ".join(parts)
